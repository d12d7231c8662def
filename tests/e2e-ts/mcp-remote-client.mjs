#!/usr/bin/env node
// mcp-remote (pinned by the lockfile), the stdio bridge that Claude Desktop and other stdio-only clients use to reach
// remote servers, driven as its host would drive it: spawned with the server's URL, spoken to in JSON-RPC over stdio.
// Its sign-in is completed headlessly (self-signing-client.mjs); its registrations and tokens go to a fresh folder
// (MCP_REMOTE_CONFIG_DIR), so every run registers anew.
//
// Usage: node mcp-remote-client.mjs --url <MCP endpoint URL> --transport http|sse --user <name> --password <pw> [--tool whoami]
// stdout, exit 0: {"tools":[...],"result":"<text>","transport":"http|sse"}; exit 1 on failure (stderr); 124 on timeout.

import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { clientOptions, startSelfSigningClient } from './self-signing-client.mjs';

const opts = clientOptions();
const port = await new Promise((resolve) => {
  const probe = createServer().listen(0, '127.0.0.1', () => {
    const { port } = probe.address();
    probe.close(() => resolve(port));
  });
});

const { child: bridge, done, output } = startSelfSigningClient(
  'mcp-remote-client',
  opts,
  () => [join('node_modules', 'mcp-remote', 'dist', 'proxy.js'), opts.url, String(port), '--transport', opts.transport === 'sse' ? 'sse-only' : 'http-only'],
  (folder) => ({ MCP_REMOTE_CONFIG_DIR: folder }),
);
bridge.on('exit', (code) => done(1, undefined, `mcp-remote exited (${code}):\n${output().slice(-2000)}`));

// JSON-RPC over the bridge's stdio, one message per line.
const pending = new Map();
createInterface({ input: bridge.stdout }).on('line', (line) => {
  let message;
  try {
    message = JSON.parse(line);
  } catch {
    return;
  }
  if (message.id !== undefined && pending.has(message.id)) {
    pending.get(message.id)(message);
    pending.delete(message.id);
  }
});
let nextId = 1;
const request = (method, params) => {
  const id = nextId++;
  bridge.stdin.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n');
  return new Promise((resolve, reject) => pending.set(id, (m) => (m.error ? reject(new Error(JSON.stringify(m.error))) : resolve(m.result))));
};

try {
  await request('initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'mcpsseauth-mcp-remote-e2e', version: '0.0.0' } });
  bridge.stdin.write(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) + '\n');
  const { tools } = await request('tools/list', {});
  const called = await request('tools/call', { name: opts.tool, arguments: {} });
  const text = (called.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');
  done(called.isError ? 4 : 0, JSON.stringify({ tools: tools.map((t) => t.name), result: text, transport: opts.transport }));
} catch (e) {
  done(1, undefined, `${e?.message ?? e}\n${output().slice(-2000)}`);
}
