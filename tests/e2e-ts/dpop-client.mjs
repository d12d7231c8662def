#!/usr/bin/env node
// A DPoP client (RFC 9449) made of real implementations: openid-client 6 for discovery, registration, the authorization
// code grant with PKCE and `resource`, the refresh grant, DPoP proofs and nonces; the TypeScript MCP SDK's client and
// transports for MCP, every HTTP request of which goes through openid-client's fetchProtectedResource (Authorization:
// DPoP + a fresh proof). The login and consent pages are walked by client.mjs's headless browser.
//
// Usage: node dpop-client.mjs --url <MCP endpoint URL> --transport http|sse --user <name> --password <pw> [--verbose]
//
// stdout: one line of JSON:
//   {"tokenType","boundTo","tools","result","refreshedTokenType","resultAfterRefresh","bearerStatus","otherKeyRefresh","nonceChallenges"}
// Exit codes: 0 success, 1 failure, 124 timeout.

import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { driveAuthorization } from './client.mjs';

const { values: opts } = parseArgs({
  options: {
    url: { type: 'string' },
    transport: { type: 'string', default: 'http' },
    user: { type: 'string' },
    password: { type: 'string' },
    verbose: { type: 'boolean', default: false },
  },
});
const log = (...parts) => opts.verbose && process.stderr.write(`[dpop-client] ${parts.join(' ')}\n`);
const timer = setTimeout(() => {
  process.stderr.write('[dpop-client] timeout after 60 s\n');
  process.exit(124);
}, 60_000);

// Every use_dpop_nonce answer seen, from the token endpoint and the resource (openid-client retries on its own).
let nonceChallenges = 0;
const counting = async (url, init) => {
  const response = await fetch(url, init);
  if (response.headers.get('dpop-nonce') && response.status >= 400) nonceChallenges++;
  return response;
};
const insecure = { execute: [oidc.allowInsecureRequests], [oidc.customFetch]: counting };

async function main() {
  const mcpUrl = new URL(opts.url);

  // 1. As any MCP client: the 401 names the protected resource metadata, which names the authorization server.
  const challenge = await fetch(mcpUrl, { method: opts.transport === 'sse' ? 'GET' : 'POST' });
  const authenticate = challenge.headers.get('www-authenticate') ?? '';
  if (challenge.status !== 401 || !/(^|, )DPoP /.test(authenticate) || !/algs="[^"]*ES256/.test(authenticate)) {
    throw new Error(`expected a 401 with a DPoP challenge, got ${challenge.status} ${authenticate}`);
  }
  const metadataUrl = /resource_metadata="([^"]+)"/.exec(authenticate)[1];
  const resourceMetadata = await (await fetch(metadataUrl)).json();
  const resource = resourceMetadata.resource;
  log(`resource ${resource}, authorization server ${resourceMetadata.authorization_servers[0]}`);

  // 2. Registration through openid-client (RFC 7591), as a client that always uses DPoP (RFC 9449 §5.2).
  const redirectUri = `http://127.0.0.1:${40000 + (randomBytes(2).readUInt16BE() % 20000)}/callback`;
  const config = await oidc.dynamicClientRegistration(
    new URL(resourceMetadata.authorization_servers[0]),
    {
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      client_name: 'McpSseAuth DPoP e2e (openid-client)',
      dpop_bound_access_tokens: true,
    },
    oidc.None(),
    { algorithm: 'oauth2', ...insecure },
  );
  config[oidc.customFetch] = counting;
  const algs = config.serverMetadata().dpop_signing_alg_values_supported ?? [];
  if (!algs.includes('ES256')) throw new Error(`the server does not advertise ES256 proofs: ${algs}`);
  const DPoP = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('ES256'));

  // 3. Authorization code with PKCE and resource; the pages walked headless; the code redeemed with a proof.
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const authorizationUrl = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: resourceMetadata.scopes_supported.join(' '),
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    resource,
  });
  const redirected = await driveAuthorization(authorizationUrl, { redirectUrl: redirectUri, user: opts.user, password: opts.password, decision: 'allow' });
  if (!redirected.code) throw new Error(`no code: ${JSON.stringify(redirected)}`);
  const callback = new URL(redirectUri);
  for (const [k, v] of Object.entries(redirected)) if (v !== undefined) callback.searchParams.set(k, v);
  const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state }, { resource }, { DPoP });
  log(`token_type ${tokens.token_type}`);
  const boundTo = JSON.parse(Buffer.from(tokens.access_token.split('.')[1], 'base64url')).cnf?.jkt ?? null;

  // 4. MCP over the SDK's transport, every request through openid-client with the token as DPoP and a fresh proof.
  const call = async (accessToken) => {
    const dpopFetch = async (url, init = {}) => {
      const headers = new Headers(init.headers);
      headers.delete('authorization');
      return oidc.fetchProtectedResource(config, accessToken, new URL(url), init.method ?? 'GET', init.body ?? null, headers, { DPoP, signal: init.signal });
    };
    const transport = opts.transport === 'sse' ? new SSEClientTransport(mcpUrl, { fetch: dpopFetch }) : new StreamableHTTPClientTransport(mcpUrl, { fetch: dpopFetch });
    const client = new Client({ name: 'mcpsseauth-dpop-e2e', version: '0.0.0' });
    await client.connect(transport);
    const { tools } = await client.listTools();
    const result = await client.callTool({ name: 'whoami', arguments: {} });
    await client.close().catch(() => {});
    return { tools: tools.map((t) => t.name), text: result.content.filter((c) => c.type === 'text').map((c) => c.text).join('\n') };
  };
  const first = await call(tokens.access_token);

  // 5. The refresh token is bound to the key: refreshed with it, refused with another.
  const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token, { resource }, { DPoP });
  const afterRefresh = await call(refreshed.access_token);
  let otherKeyRefresh = 'accepted';
  try {
    await oidc.refreshTokenGrant(config, refreshed.refresh_token, { resource }, { DPoP: oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('ES256')) });
  } catch (e) {
    otherKeyRefresh = e?.error ?? e?.code ?? String(e);
  }

  // 6. The bound token, stolen and sent as a bearer token.
  const stolen = await fetch(mcpUrl, opts.transport === 'sse'
    ? { method: 'GET', headers: { authorization: `Bearer ${refreshed.access_token}`, accept: 'text/event-stream' } }
    : {
        method: 'POST',
        headers: { authorization: `Bearer ${refreshed.access_token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'thief', version: '1' } } }),
      });
  await stolen.body?.cancel();

  return {
    tokenType: tokens.token_type,
    boundTo,
    tools: first.tools,
    result: first.text,
    refreshedTokenType: refreshed.token_type,
    resultAfterRefresh: afterRefresh.text,
    bearerStatus: stolen.status,
    otherKeyRefresh,
    nonceChallenges,
  };
}

main().then(
  (out) => {
    clearTimeout(timer);
    process.stdout.write(JSON.stringify(out) + '\n', () => process.exit(0));
  },
  (e) => {
    clearTimeout(timer);
    process.stderr.write(`[dpop-client] failure: ${e?.stack ?? e}${e?.cause ? ` cause: ${JSON.stringify(e.cause)}` : ''}\n`);
    process.exit(1);
  },
);
