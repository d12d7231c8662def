#!/usr/bin/env node
// The MCP Inspector's CLI (@modelcontextprotocol/inspector 2.12.0, pinned by the lockfile; it needs Node >= 22.19, so the
// caller runs this script with the Node 22 of node_modules/node). One `tools/call` as a user runs it: it discovers,
// registers, prints the authorization URL and waits on its callback (127.0.0.1:6276) — completed headlessly
// (self-signing-client.mjs) — then calls the tool and prints the result as JSON. Secrets in memory, a fresh HOME per run.
//
// Usage: node inspector-client.mjs --url <MCP endpoint URL> --transport http|sse --user <name> --password <pw> [--tool whoami]
// stdout, exit 0: {"result":"<text>","transport":"http|sse"}; exit 1 on failure (stderr); 124 on timeout.

import { join } from 'node:path';
import { clientOptions, startSelfSigningClient } from './self-signing-client.mjs';

const opts = clientOptions();
const cli = join('node_modules', '@modelcontextprotocol', 'inspector', 'clients', 'launcher', 'build', 'index.js');
const { child: inspector, done, output } = startSelfSigningClient(
  'inspector-client',
  opts,
  () => [cli, '--cli', opts.url, '--transport', opts.transport, '--method', 'tools/call', '--tool-name', opts.tool],
  // Headless: no TTY (MCP_AUTO_OPEN_ENABLED lets it start OAuth anyway), no keychain.
  (folder) => ({ HOME: folder, MCP_AUTO_OPEN_ENABLED: 'true', MCP_INSPECTOR_SECRET_STORE: 'memory' }),
);
let stdout = '';
inspector.stdout.on('data', (chunk) => (stdout += chunk));
inspector.on('exit', (code) => {
  // Its answer is the last JSON object it printed (indented over several lines): the result on stdout, or {"error":...}.
  let answer;
  for (const text of [stdout, output()]) {
    const start = text.startsWith('{') ? 0 : text.lastIndexOf('\n{') + 1;
    try {
      answer = start > 0 || text.startsWith('{') ? JSON.parse(text.slice(start)) : undefined;
    } catch {
      answer = undefined;
    }
    if (answer) break;
  }
  if (!answer) return done(1, undefined, `the Inspector exited (${code}) without a JSON answer:\n${output().slice(-2000)}`);
  if (code !== 0 || answer.error) return done(1, undefined, `the Inspector failed (${code}): ${JSON.stringify(answer.error ?? answer)}\n${output().slice(-2000)}`);
  const text = (answer.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');
  done(answer.isError ? 4 : 0, JSON.stringify({ result: text, transport: opts.transport }));
});
