#!/usr/bin/env node
// oidc-provider (pinned to exactly 9.13.3) configured as an MCP authorization server on http://127.0.0.1:PORT, for the
// authorization-server benchmark of McpSseAuth (bench/McpSseAuth.Benchmarks/AuthServers). Everything lives in memory and
// dies with the process.
//
// Usage: node oidc-provider-server.mjs PORT   (node 22: oidc-provider 9 calls node 20 unsupported)
//
// Configured the way an MCP authorization server is:
//   POST /reg        dynamic registration, open (public clients: token_endpoint_auth_method none)
//   GET  /auth       PKCE S256 required; resource indicator http://127.0.0.1:PORT/mcp (the only one allowed, and the
//                    default), scope mcp:tools
//   POST /token      authorization_code and refresh_token; access tokens for the resource are JWTs signed with ES256
//                    (McpSseAuth's default algorithm); a refresh token to every client registered for that grant, rotated
//                    on every use and not bound to the sign-in session
//   GET  /ready      200, for readiness probes
// One account, alice (password alice). No rate limits (oidc-provider has none built in), no dev interactions.
//
// Interactions, the way oidc-provider's docs show them (interactionDetails, new Grant(...), interactionFinished):
//   GET  /interaction/:uid          login page when nobody is signed in, else the consent page
//   POST /interaction/:uid/login    login + password → interactionFinished({ login })
//   POST /interaction/:uid/confirm  grants what the consent prompt says is missing → interactionFinished({ consent })
// So a signed-in user's flow for a new client goes: /auth → 303 /interaction/:uid (consent page) → POST confirm →
// 303 /auth/:uid (resume) → 303 redirect_uri?code=...&state=...&iss=...

import { createServer } from 'node:http';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import Provider, { errors } from 'oidc-provider';

// The library's in-memory adapter, over an unbounded store: its default store is an LRU of 1,000 entries, which under
// load evicts sessions, grants and refresh tokens in use and would turn the benchmark into a measure of re-sign-ins.
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  process.stderr.write('usage: node oidc-provider-server.mjs PORT\n');
  process.exit(2);
}

const issuer = `http://127.0.0.1:${port}`;
const resource = `${issuer}/mcp`;
const resourceScope = 'mcp:tools';
const accounts = new Map([['alice', 'alice']]); // account id → password

/** The store MemoryAdapter expects (get, set with maxAge, delete), as a Map whose expired entries are swept every 10 s. */
class ExpiringStore {
  #entries = new Map();

  constructor() {
    setInterval(() => {
      const now = Date.now();
      for (const [key, entry] of this.#entries) {
        if (entry.expiry <= now) this.#entries.delete(key);
      }
    }, 10_000).unref();
  }

  get(key) {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiry <= Date.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key, value, options) {
    this.#entries.set(key, { value, expiry: options?.maxAge === undefined ? Infinity : Date.now() + options.maxAge });
  }

  delete(key) {
    this.#entries.delete(key);
  }
}

const store = new ExpiringStore();
const signingKey = {
  ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }),
  kid: randomBytes(8).toString('hex'),
  alg: 'ES256',
  use: 'sig',
};

const provider = new Provider(issuer, {
  adapter: (model) => new MemoryAdapter(model, store),
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  findAccount: async (_ctx, id) => (accounts.has(id) ? { accountId: id, claims: async () => ({ sub: id }) } : undefined),
  scopes: ['openid', 'offline_access', resourceScope],
  clientDefaults: {
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    id_token_signed_response_alg: 'ES256',
  },
  features: {
    devInteractions: { enabled: false },
    registration: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, indicator) => {
        if (indicator !== resource) throw new errors.InvalidTarget();
        return {
          scope: resourceScope,
          audience: resource,
          accessTokenTTL: 60 * 60,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        };
      },
    },
  },
  pkce: { required: () => true },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: () => true,
  expiresWithSession: async () => false,
  // The lifetimes of McpSseAuth's defaults.
  ttl: {
    AccessToken: 60 * 60,
    AuthorizationCode: 60,
    RefreshToken: 30 * 24 * 60 * 60,
    Grant: 180 * 24 * 60 * 60,
    Session: 8 * 60 * 60,
    Interaction: 10 * 60,
    IdToken: 60 * 60,
  },
});
provider.proxy = false;
provider.on('server_error', (_ctx, error) => process.stderr.write(`[oidc-provider] server error: ${error?.stack ?? error}\n`));

// ---------------------------------------------------------------------------------------------------------------------
// Interactions.

function escape(value) {
  return String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

function sendPage(res, status, title, body) {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(`<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>${escape(title)}</title></head>\n<body>\n${body}\n</body>\n</html>\n`);
}

function loginPage(res, uid, error) {
  sendPage(res, 200, 'Sign in', `<h1>Sign in</h1>
${error ? `<p id="error">${escape(error)}</p>\n` : ''}<form method="post" action="/interaction/${escape(uid)}/login">
<input type="text" name="login" autocomplete="username"> <input type="password" name="password" autocomplete="current-password">
<button type="submit">Sign in</button>
</form>`);
}

function consentPage(res, uid, clientId, details) {
  const asked = Object.entries(details.missingResourceScopes ?? {}).map(([indicator, scopes]) => `<li>${escape(scopes.join(' '))} at ${escape(indicator)}</li>`);
  sendPage(res, 200, 'Allow access', `<h1>Allow ${escape(clientId)}?</h1>
<ul>${asked.join('')}</ul>
<form method="post" action="/interaction/${escape(uid)}/confirm">
<button type="submit" name="decision" value="allow">Allow</button>
</form>`);
}

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 16 * 1024) throw new Error('form too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) {
    sendPage(res, 400, 'Error', '<p id="error">interaction mismatch</p>');
    return;
  }

  const { prompt, params, session } = details;
  if (action === '' && req.method === 'GET') {
    if (prompt.name === 'login') loginPage(res, uid);
    else consentPage(res, uid, params.client_id, prompt.details);
    return;
  }

  if (action === '/login' && req.method === 'POST' && prompt.name === 'login') {
    const form = await readForm(req);
    const accountId = form.get('login') ?? '';
    if (!accounts.has(accountId) || accounts.get(accountId) !== form.get('password')) {
      loginPage(res, uid, 'Invalid login or password.');
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId } }, { mergeWithLastSubmission: false });
    return;
  }

  if (action === '/confirm' && req.method === 'POST' && prompt.name === 'consent') {
    await readForm(req);
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
    if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(prompt.details.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    const consent = details.grantId ? {} : { grantId };
    await provider.interactionFinished(req, res, { consent }, { mergeWithLastSubmission: true });
    return;
  }

  sendPage(res, 400, 'Error', `<p id="error">${escape(req.method)} ${escape(action || '/')} does not fit the ${escape(prompt.name)} prompt</p>`);
}

// ---------------------------------------------------------------------------------------------------------------------
// The server.

const providerCallback = provider.callback();
const server = createServer(async (req, res) => {
  if (req.url === '/ready') {
    res.statusCode = 200;
    res.end('ready');
    return;
  }

  const match = /^\/interaction\/([^/?]+)(\/login|\/confirm)?\/?(?:\?.*)?$/.exec(req.url ?? '');
  if (!match) {
    providerCallback(req, res);
    return;
  }

  try {
    await interaction(req, res, decodeURIComponent(match[1]), match[2] ?? '');
  } catch (error) {
    process.stderr.write(`[oidc-provider] interaction error: ${error?.stack ?? error}\n`);
    if (!res.headersSent) sendPage(res, error?.statusCode ?? 500, 'Error', `<p id="error">${escape(error?.message ?? error)}</p>`);
    else res.end();
  }
});
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1', () => process.stdout.write(`[oidc-provider] listening on ${issuer}\n`));

for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
