#!/usr/bin/env node
// The TypeScript SDK 1.x client in Streamable HTTP mode behind a load balancer without affinity: every HTTP request the SDK
// makes (discovery, registration, token, each MCP POST, the GET stream, the DELETE) goes to the next of the --instance
// addresses in turn, as a round-robin balancer would send it; the login and consent pages are walked by client.mjs's
// headless browser at the URL the server names. The server must offer whoami; count_to and wait_for_cancel (the tests'
// servers offer them) are called when offered, else their outputs are null (to try it against the plain sample).
//
// Usage: node round-robin-client.mjs --url <MCP endpoint URL> --instance <base URL> --instance <base URL> ...
//                                    --user <name> --password <pw> --run <id> [--verbose]
//
// It signs in, lists the tools, calls count_to (run <id>-count, n 5) collecting its progress, calls wait_for_cancel (run
// <id>-cancel) and aborts it at its first progress (the SDK then posts notifications/cancelled), calls whoami, and ends
// the session.
// stdout: one line of JSON: {"sessionId","tools","counted","progress":[...],"cancelled","whoami","requests":[per instance]}
// Exit codes: 0 success, 1 failure, 124 timeout.

import { parseArgs } from 'node:util';
import { createServer } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { HeadlessOAuthProvider } from './client.mjs';

const { values: opts } = parseArgs({
  options: {
    url: { type: 'string' },
    instance: { type: 'string', multiple: true },
    user: { type: 'string' },
    password: { type: 'string' },
    run: { type: 'string' },
    verbose: { type: 'boolean', default: false },
  },
});
const log = (...parts) => opts.verbose && process.stderr.write(`[round-robin] ${parts.join(' ')}\n`);
const timer = setTimeout(() => {
  process.stderr.write('[round-robin] timeout after 60 s\n');
  process.exit(124);
}, 60_000);

const instances = (opts.instance ?? []).map((i) => new URL(i));
if (!opts.url || instances.length < 2 || !opts.user || !opts.password || !opts.run) {
  process.stderr.write('usage: node round-robin-client.mjs --url <MCP URL> --instance <URL> --instance <URL> --user <name> --password <pw> --run <id>\n');
  process.exit(2);
}

// The balancer: the request's origin becomes the next instance's; the path and query stay.
const requests = instances.map(() => 0);
let next = 0;
const roundRobin = (input, init) => {
  const target = new URL(input instanceof Request ? input.url : input);
  const i = next++ % instances.length;
  target.protocol = instances[i].protocol;
  target.host = instances[i].host;
  requests[i]++;
  log(`${init?.method ?? 'GET'} ${target.pathname} -> instance ${i}`);
  return fetch(input instanceof Request ? new Request(target, input) : target, init);
};

const freePort = () =>
  new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });

const url = new URL(opts.url);
const provider = new HeadlessOAuthProvider({ redirectUrl: `http://127.0.0.1:${await freePort()}/callback`, user: opts.user, password: opts.password, decision: 'allow' });
const newTransport = () => new StreamableHTTPClientTransport(url, { authProvider: provider, fetch: roundRobin });
const newClient = () => new Client({ name: 'mcpsseauth-round-robin', version: '0.0.0' });

try {
  let transport = newTransport();
  let client = newClient();
  try {
    await client.connect(transport);
  } catch (e) {
    if (!(e instanceof UnauthorizedError) || !provider.authorizationResult?.code) throw e;
    await transport.finishAuth(provider.authorizationResult.code);
    await transport.close().catch(() => {});
    transport = newTransport();
    client = newClient();
    await client.connect(transport);
  }
  log(`session ${transport.sessionId}`);

  const { tools } = await client.listTools();
  const offered = (name) => tools.some((t) => t.name === name);
  let progress = null;
  let counted = null;
  if (offered('count_to')) {
    progress = [];
    counted = await client.callTool({ name: 'count_to', arguments: { run: `${opts.run}-count`, n: 5 } }, undefined, {
      onprogress: (p) => progress.push(p.progress),
    });
  }

  let cancelled = null;
  if (offered('wait_for_cancel')) {
    const abort = new AbortController();
    try {
      await client.callTool({ name: 'wait_for_cancel', arguments: { run: `${opts.run}-cancel` } }, undefined, {
        signal: abort.signal,
        onprogress: () => abort.abort('the user changed their mind'),
      });
      cancelled = 'not cancelled: the call returned';
    } catch (e) {
      cancelled = abort.signal.aborted ? 'aborted' : `failed: ${e?.message ?? e}`;
    }
  }

  const whoami = await client.callTool({ name: 'whoami', arguments: {} });
  const sessionId = transport.sessionId;
  await transport.terminateSession();
  await client.close().catch(() => {});
  const text = (result) => (result.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');
  clearTimeout(timer);
  process.stdout.write(
    JSON.stringify({ sessionId, tools: tools.map((t) => t.name), counted: counted && text(counted), progress, cancelled, whoami: text(whoami), requests }) + '\n',
    () => process.exit(0),
  );
} catch (e) {
  clearTimeout(timer);
  process.stderr.write(`[round-robin] failure: ${e?.stack ?? e}\n`);
  process.exit(1);
}
