#!/usr/bin/env node
// A real OpenID Connect provider (oidc-provider, pinned to exactly 9.13.3) on loopback, for tests
// of McpSseAuth's upstream-identity-provider support. Everything lives in memory and dies with
// the process.
//
// Usage:
//   node oidc-provider.mjs [--port 0] [--client-id mcp-server] [--client-secret mcp-server-secret]
//                          [--access-token-ttl 3600] [--lifetime 900] [--userinfo-only] [--verbose]
//
// Once listening, stdout gets exactly one JSON line:
//   {"issuer":"http://127.0.0.1:PORT","clientId":"...","clientSecret":"..."}
// Everything else (oidc-provider notices, --verbose request log) goes to stderr.
// The process exits by itself when stdin closes (the parent died) and after --lifetime seconds.
//
// One confidential client (client_secret_post or client_secret_basic; authorization_code +
// refresh_token; response type code; PKCE S256 accepted). Its redirect URI may be
// http://127.0.0.1:<any port>/signin-<anything> (also localhost), post-logout redirect URI
// http://127.0.0.1:<any port>/signout-<anything>: the test server starts after the provider.
//
// Accounts: the login is the e-mail, the password is always "password". Claims:
//   sub            "u-" + first 16 hex digits of sha256(lower-cased login)
//   email          the login
//   email_verified false when the local part starts with "unverified", else true
//   name           capitalised local part + " Example" (given_name, family_name likewise)
//   hd             "example.com" for logins @example.com, else absent
//   groups         ["mcp-users"] for logins starting with alice or admin, ["staff"] for bob, else []
// Scopes: openid (sub, hd), profile, email, groups, offline_access. Claims are in the id_token
// and at userinfo (with --userinfo-only, the id_token carries sub alone, as OpenID Connect Core §5.4 allows: every other
// claim comes only from userinfo); refresh tokens are always issued to the client and rotated on every use.
//
// Interactions (plain HTML, no JavaScript): GET /interaction/:uid shows a login form posting
// login + password to /interaction/:uid/login and an abort form posting to
// /interaction/:uid/abort (error=access_denied). A successful login grants every requested
// scope and claim at once (no consent page); a wrong password shows the form again (200).

import { createServer } from 'node:http';
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import Provider from 'oidc-provider';

// oidc-provider prints notices with console.info; stdout is reserved for the JSON line.
console.info = console.error;
console.log = console.error;

function usage(message) {
  process.stderr.write(`[oidc-provider] ${message}\n`);
  process.exit(2);
}

let args;
try {
  ({ values: args } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      'client-id': { type: 'string', default: 'mcp-server' },
      'client-secret': { type: 'string', default: 'mcp-server-secret' },
      'access-token-ttl': { type: 'string', default: '3600' },
      lifetime: { type: 'string', default: '900' },
      'userinfo-only': { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
    },
    strict: true,
  }));
} catch (error) {
  usage(error.message);
}

function integer(name, min, max = Number.MAX_SAFE_INTEGER) {
  const value = Number(args[name]);
  if (!Number.isInteger(value) || value < min || value > max) usage(`--${name} must be an integer from ${min} to ${max}`);
  return value;
}

const port = integer('port', 0, 65535);
const accessTokenTtl = integer('access-token-ttl', 1);
const lifetime = integer('lifetime', 1, 24 * 60 * 60);
const clientId = args['client-id'];
const clientSecret = args['client-secret'];
const verbose = args.verbose;
if (!clientId || !clientSecret) usage('--client-id and --client-secret must not be empty');

function log(message) {
  if (verbose) process.stderr.write(`[oidc-provider] ${message}\n`);
}

// ---------------------------------------------------------------------------------------------
// Stop by ourselves: when the parent goes away (stdin closes) and after --lifetime seconds.

function stop(reason) {
  log(`exiting: ${reason}`);
  process.exit(0);
}

process.stdin.on('end', () => stop('stdin closed'));
process.stdin.on('close', () => stop('stdin closed'));
process.stdin.on('error', () => stop('stdin error'));
process.stdin.resume();
setTimeout(() => stop(`lifetime of ${lifetime} s reached`), lifetime * 1000).unref();
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));

// ---------------------------------------------------------------------------------------------
// Accounts, derived from the login alone.

const logins = new Map(); // sub -> login (filled at sign-in, read by findAccount)

function subjectOf(login) {
  return 'u-' + createHash('sha256').update(login.toLowerCase()).digest('hex').slice(0, 16);
}

function claimsOf(login) {
  const at = login.lastIndexOf('@');
  const local = at > 0 ? login.slice(0, at) : login;
  const domain = at > 0 ? login.slice(at + 1).toLowerCase() : '';
  const given = local.charAt(0).toUpperCase() + local.slice(1);
  const lower = login.toLowerCase();
  let groups = [];
  if (lower.startsWith('alice') || lower.startsWith('admin')) groups = ['mcp-users'];
  else if (lower.startsWith('bob')) groups = ['staff'];

  const claims = {
    sub: subjectOf(login),
    email: login,
    email_verified: !local.toLowerCase().startsWith('unverified'),
    name: `${given} Example`,
    given_name: given,
    family_name: 'Example',
    groups,
  };
  if (domain === 'example.com') claims.hd = domain;
  return claims;
}

async function findAccount(_ctx, sub) {
  const login = logins.get(sub);
  if (login === undefined) return undefined;
  return {
    accountId: sub,
    claims: async (use) => (use === 'id_token' && args['userinfo-only'] ? { sub } : claimsOf(login)),
  };
}

// ---------------------------------------------------------------------------------------------
// The provider. The issuer needs the port, so listen first and build the provider afterwards.

let handler = (_req, res) => {
  res.statusCode = 503;
  res.end();
};
const server = createServer((req, res) => handler(req, res));
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(port, '127.0.0.1', resolve);
});
const issuer = `http://127.0.0.1:${server.address().port}`;

const signingKey = {
  ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
  kid: randomBytes(8).toString('hex'),
  alg: 'RS256',
  use: 'sig',
};

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      client_name: 'MCP server under test',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      // client_secret_basic is accepted as well: oidc-provider treats the two as one family.
      token_endpoint_auth_method: 'client_secret_post',
      // Placeholders: any port and any /signin-* path are accepted (see redirectUriAllowed below).
      redirect_uris: ['http://127.0.0.1/signin-oidc'],
      post_logout_redirect_uris: ['http://127.0.0.1/signout-callback-oidc'],
    },
  ],
  jwks: { keys: [signingKey] },
  cookies: {
    keys: [randomBytes(32).toString('base64url')],
    // Plain http on 127.0.0.1: no Secure attribute (the provider only adds it on https requests).
    long: { httpOnly: true, sameSite: 'lax' },
    short: { httpOnly: true, sameSite: 'lax' },
  },
  findAccount,
  claims: {
    openid: ['sub', 'hd'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name'],
    groups: ['groups'],
  },
  scopes: ['openid', 'offline_access', 'profile', 'email', 'groups'],
  conformIdTokenClaims: false,
  features: {
    devInteractions: { enabled: false },
    userinfo: { enabled: true },
    introspection: { enabled: true, allowedPolicy: async () => true },
    revocation: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  pkce: { required: () => false },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: () => true,
  expiresWithSession: async () => false,
  clientBasedCORS: () => true,
  ttl: {
    AccessToken: accessTokenTtl,
    AuthorizationCode: 60,
    IdToken: 3600,
    RefreshToken: 24 * 60 * 60,
    Interaction: 60 * 60,
    Session: 24 * 60 * 60,
    Grant: 24 * 60 * 60,
  },
  renderError: async (ctx, out) => {
    ctx.type = 'html';
    ctx.body = page('Error', `<h1>Error</h1><p id="error">${escape(out.error)}</p><p>${escape(out.error_description ?? '')}</p>`);
  },
});
provider.proxy = false;

// The test server (ASP.NET Core's /signin-oidc callback) listens on a port chosen after this
// provider started: accept http loopback redirect URIs on any port with a /signin-* path for
// our client. oidc-provider's own loopback rule (native clients only) ignores the port but
// still wants an exact path, hence the override.
function loopbackWithPrefix(value, prefix) {
  const url = URL.parse(value);
  return url !== null
    && url.protocol === 'http:'
    && (url.hostname === '127.0.0.1' || url.hostname === 'localhost')
    && url.username === '' && url.password === '' && url.hash === ''
    && url.pathname.startsWith(prefix) && url.pathname.length > prefix.length;
}

const { redirectUriAllowed, postLogoutRedirectUriAllowed } = provider.Client.prototype;
provider.Client.prototype.redirectUriAllowed = function (value) {
  return (this.clientId === clientId && loopbackWithPrefix(value, '/signin-')) || redirectUriAllowed.call(this, value);
};
provider.Client.prototype.postLogoutRedirectUriAllowed = function (value) {
  return (this.clientId === clientId && loopbackWithPrefix(value, '/signout-')) || postLogoutRedirectUriAllowed.call(this, value);
};

provider.on('server_error', (_ctx, error) => process.stderr.write(`[oidc-provider] server error: ${error?.stack ?? error}\n`));

// ---------------------------------------------------------------------------------------------
// Interactions: plain HTML, no JavaScript.

function escape(value) {
  return String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>${escape(title)}</title></head>
<body>
${body}
</body>
</html>
`;
}

function loginPage(uid, { login = '', error } = {}) {
  const base = `/interaction/${encodeURIComponent(uid)}`;
  return page('Sign in', `<h1>Sign in</h1>
${error ? `<p id="error" role="alert">${escape(error)}</p>\n` : ''}<form method="post" action="${base}/login">
  <label>E-mail <input type="text" name="login" value="${escape(login)}" autocomplete="username" autofocus></label>
  <label>Password <input type="password" name="password" autocomplete="current-password"></label>
  <button type="submit">Sign in</button>
</form>
<form method="post" action="${base}/abort">
  <button type="submit">Cancel</button>
</form>`);
}

function send(res, status, html) {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(html);
}

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 64 * 1024) throw new Error('form too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

// Grants everything the authorization request asked for: its scopes and its claims parameter.
async function grantAll(details, accountId) {
  const { params } = details;
  // Another account signing in over an existing session (prompt=login) gets its own grant, not the previous account's.
  const existing = details.grantId ? await provider.Grant.find(details.grantId) : undefined;
  const grant = existing && existing.accountId === accountId
    ? existing
    : new provider.Grant({ accountId, clientId: params.client_id });
  const scope = typeof params.scope === 'string' ? params.scope : 'openid';
  grant.addOIDCScope(scope);
  if (typeof params.claims === 'string') {
    try {
      const claims = JSON.parse(params.claims);
      const names = [...Object.keys(claims.id_token ?? {}), ...Object.keys(claims.userinfo ?? {})];
      if (names.length > 0) grant.addOIDCClaims(names);
    } catch {
      // an invalid claims parameter was already rejected by the authorization endpoint
    }
  }
  const resources = details.prompt.details?.missingResourceScopes ?? {};
  for (const [indicator, scopes] of Object.entries(resources)) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  return grant.save();
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) {
    send(res, 400, page('Error', '<h1>Error</h1><p id="error">interaction mismatch</p>'));
    return;
  }

  if (action === '' && req.method === 'GET') {
    if (details.prompt.name === 'login' || !details.session?.accountId) {
      send(res, 200, loginPage(uid, { login: details.params.login_hint ?? '' }));
      return;
    }
    // Already signed in, only consent is missing: grant it without a page.
    const grantId = await grantAll(details, details.session.accountId);
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    return;
  }

  if (action === '/login' && req.method === 'POST') {
    const form = await readForm(req);
    const login = (form.get('login') ?? '').trim();
    const password = form.get('password') ?? '';
    if (login === '' || password !== 'password') {
      log(`login rejected for '${login}'`);
      send(res, 200, loginPage(uid, { login, error: 'Invalid e-mail or password.' }));
      return;
    }
    const accountId = subjectOf(login);
    logins.set(accountId, login);
    const grantId = await grantAll(details, accountId);
    log(`login ${login} -> ${accountId}, grant ${grantId}`);
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    );
    return;
  }

  if (action === '/abort' && req.method === 'POST') {
    await readForm(req);
    await provider.interactionFinished(
      req,
      res,
      { error: 'access_denied', error_description: 'End-User aborted interaction' },
      { mergeWithLastSubmission: false },
    );
    return;
  }

  send(res, 405, page('Error', '<h1>Method not allowed</h1>'));
}

const providerCallback = provider.callback();
handler = async (req, res) => {
  log(`${req.method} ${req.url}`);
  const match = /^\/interaction\/([^/?]+)(\/login|\/abort)?\/?(?:\?.*)?$/.exec(req.url ?? '');
  if (!match) {
    providerCallback(req, res);
    return;
  }
  try {
    await interaction(req, res, decodeURIComponent(match[1]), match[2] ?? '');
  } catch (error) {
    log(`interaction error: ${error?.stack ?? error}`);
    if (!res.headersSent) {
      const status = error?.statusCode ?? 500;
      send(res, status, page('Error', `<h1>Error</h1><p id="error">${escape(error?.error ?? 'server_error')}</p><p>${escape(error?.error_description ?? error?.message ?? '')}</p>`));
    }
  }
};

process.stdout.write(JSON.stringify({ issuer, clientId, clientSecret }) + '\n');
log(`listening on ${issuer}`);
