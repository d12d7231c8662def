#!/usr/bin/env node
// A reverse proxy that adds `Authorization: Bearer <token>` to every request it forwards, for tools that speak MCP but
// not OAuth (the conformance suite's server scenarios). Everything else passes through unchanged — method, path, query,
// every header including Host and Origin (so DNS-rebinding checks reach the server as the caller sent them), the body,
// and the response, streamed back as it comes (SSE).
//
// Usage: node token-proxy.mjs [--port 0]
// Prints `listening http://127.0.0.1:<port>`, then reads commands from stdin, one per line:
//   target <origin>   where to forward (until then: 503)
//   token <token>     the bearer token to add from now on (until then: requests pass as they are, e.g. the OAuth flow)
// Exits when stdin closes, so it stops with the test that started it.

import { createServer, request } from 'node:http';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' } } });
let target;
let token;

createInterface({ input: process.stdin }).on('line', (line) => {
  const [command, value] = line.trim().split(/\s+/, 2);
  if (command === 'target') target = new URL(value);
  else if (command === 'token') token = value;
  process.stdout.write(`ok ${command}\n`);
}).on('close', () => process.exit(0));

const server = createServer((incoming, outgoing) => {
  if (!target) {
    outgoing.writeHead(503, { 'content-type': 'text/plain' }).end('proxy: no target yet');
    return;
  }

  const headers = { ...incoming.headers };
  if (token) headers.authorization = `Bearer ${token}`;
  const forwarded = request(
    { host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers, setHost: false },
    (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    },
  );
  forwarded.on('error', (e) => {
    if (!outgoing.headersSent) outgoing.writeHead(502, { 'content-type': 'text/plain' });
    outgoing.end(`proxy: ${e.message}`);
  });
  outgoing.on('close', () => forwarded.destroy());
  incoming.pipe(forwarded);
});

server.listen(Number(values.port), '127.0.0.1', () => {
  process.stdout.write(`listening http://127.0.0.1:${server.address().port}\n`);
});
