#!/usr/bin/env node
// The TypeScript MCP SDK's authorization server (mcpAuthRouter, @modelcontextprotocol/sdk pinned to exactly 1.32.2) with
// the SDK's demo provider (DemoInMemoryAuthProvider), on express at http://127.0.0.1:PORT, for the authorization-server
// benchmark of McpSseAuth (bench/McpSseAuth.Benchmarks/AuthServers). Everything lives in memory and dies with the process.
//
// Usage: node ts-sdk-auth-server.mjs PORT
//
// What a flow sees:
//   POST /register   dynamic registration (public clients: token_endpoint_auth_method none)
//   GET  /authorize  PKCE S256 required; the demo provider approves at once (no sign-in, no consent page: it sets a
//                    demo_session cookie and redirects straight to redirect_uri?code=...&state=...)
//   POST /token      authorization_code; the access token is an opaque random UUID kept in a Map (not a JWT);
//                    no refresh token is issued, and refresh_token grants fail: the demo provider does not implement them
//   GET  /ready      200, for readiness probes
// The resource indicator must be http://127.0.0.1:PORT/mcp (the demo provider's strict resource check, at the token
// endpoint). The router's express-rate-limit limits are switched off on every endpoint.

import express from 'express';
import { mcpAuthRouter } from '@modelcontextprotocol/sdk/server/auth/router.js';
import { DemoInMemoryAuthProvider } from '@modelcontextprotocol/sdk/examples/server/demoInMemoryOAuthProvider.js';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  process.stderr.write('usage: node ts-sdk-auth-server.mjs PORT\n');
  process.exit(2);
}

const issuer = new URL(`http://127.0.0.1:${port}/`);
const resource = new URL('/mcp', issuer).href;
const provider = new DemoInMemoryAuthProvider((requested) => requested?.href === resource);

const app = express();
app.disable('x-powered-by');
app.get('/ready', (_req, res) => res.status(200).type('text').send('ready'));
app.use(mcpAuthRouter({
  provider,
  issuerUrl: issuer,
  resourceServerUrl: new URL(resource),
  scopesSupported: ['mcp:tools'],
  authorizationOptions: { rateLimit: false },
  tokenOptions: { rateLimit: false },
  clientRegistrationOptions: { rateLimit: false },
  revocationOptions: { rateLimit: false },
}));

const server = app.listen(port, '127.0.0.1', (error) => {
  if (error) {
    process.stderr.write(`[ts-sdk-auth-server] ${error.stack ?? error}\n`);
    process.exit(1);
  }
  process.stdout.write(`[ts-sdk-auth-server] listening on ${issuer.href}\n`);
});
server.keepAliveTimeout = 65_000;

for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
