#!/usr/bin/env node
// Headless MCP client harness for McpSseAuth end-to-end tests.
//
// Uses the real TypeScript MCP SDK client (@modelcontextprotocol/sdk) over Streamable HTTP or
// legacy SSE, with an in-memory OAuthClientProvider whose redirectToAuthorization() drives the
// authorization server's login and consent HTML pages like a browser (cookie jar, manual
// redirects, generic form parsing) and captures the code from the redirect Location.
//
// Usage:
//   node client.mjs --url <MCP endpoint URL> --transport http|sse --user <name> --password <pw>
//                   [--decision allow|deny] [--tool whoami] [--args '{"json":1}'] [--timeout 60] [--verbose]
//                   [--upstream]
//
// --upstream: --user/--password are an account at the server's upstream identity provider. The harness follows the
// "Sign in with ..." link of the login page (or the server's direct redirect) to the provider, fills the provider's login
// form (fields login + password), submits the provider's form_post response, and comes back to the consent page.
//
// stdout: exactly one line of JSON.
//   success:            {"tools":[...],"result":"<text content joined>","transport":"http|sse"}
//   authorization error {"error":"<error code from the redirect>"}            (exit 3)
// Exit codes: 0 success, 1 failure, 2 usage error, 3 authorization error returned to the
// redirect URI (e.g. access_denied), 4 tool call returned isError, 124 global timeout.

import { parseArgs } from 'node:util';
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { realpathSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';

const MAX_HOPS = 20; // an upstream sign-in takes about 12

// ---------------------------------------------------------------------------------------------
// Small helpers

class HarnessError extends Error {
  constructor(message, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

let verbose = false;
function log(...parts) {
  if (verbose) process.stderr.write(`[e2e-ts] ${parts.join(' ')}\n`);
}

let finished = false;
function finish(exitCode, stdoutLine, stderrMessage) {
  if (finished) return;
  finished = true;
  if (stderrMessage) process.stderr.write(`[e2e-ts] ${stderrMessage}\n`);
  if (stdoutLine !== undefined) {
    // Exit only once stdout is flushed (it may be a pipe).
    process.stdout.write(stdoutLine + '\n', () => process.exit(exitCode));
  } else {
    process.exit(exitCode);
  }
}

// The page's visible text (scripts, styles and tags removed), for readable error messages.
function visibleText(html, max = 500) {
  const body = /<body\b[^>]*>([\s\S]*)<\/body>/i.exec(html)?.[1] ?? html;
  const text = decodeEntities(body.replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, ' ').replace(/<[^>]*>/g, ' '))
    .replace(/\s+/g, ' ')
    .trim();
  return excerpt(text, max);
}

function excerpt(text, max = 500) {
  return text.length > max ? text.slice(0, max) + '…' : text;
}

async function freeLoopbackPort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// HTML helpers (deliberately small: the server's pages are simple, server-rendered forms)

const NAMED_ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

export function decodeEntities(s) {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (m, body) => {
    if (body[0] === '#') {
      const cp = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return Number.isFinite(cp) && cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
    }
    const named = NAMED_ENTITIES[body.toLowerCase()];
    return named ?? m;
  });
}

// Parses the attributes of a start tag's inner text, e.g. ` name="a" value='b' disabled`.
export function parseAttributes(tagText) {
  const attrs = {};
  const re = /([^\s"'<>\/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
  let m;
  while ((m = re.exec(tagText)) !== null) {
    const name = m[1].toLowerCase();
    if (name in attrs) continue; // first occurrence wins, as in browsers
    const raw = m[2] ?? m[3] ?? m[4] ?? '';
    attrs[name] = decodeEntities(raw);
  }
  return attrs;
}

function tagsIn(html, tagName) {
  const re = new RegExp(`<${tagName}\\b((?:[^>"']|"[^"]*"|'[^']*')*)>`, 'gi');
  const out = [];
  let m;
  while ((m = re.exec(html)) !== null) out.push(parseAttributes(m[1]));
  return out;
}

// Returns the first <form method="post"> in the page, parsed.
export function findPostForm(html) {
  const formRe = /<form\b((?:[^>"']|"[^"]*"|'[^']*')*)>([\s\S]*?)<\/form\s*>/gi;
  let m;
  while ((m = formRe.exec(html)) !== null) {
    const attrs = parseAttributes(m[1]);
    if ((attrs.method ?? 'get').toLowerCase() !== 'post') continue;
    const body = m[2];
    const inputs = tagsIn(body, 'input');
    const buttons = tagsIn(body, 'button');
    return { attrs, inputs, buttons };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Cookie jar: origin-scoped (host-only), path-aware, honours Max-Age/Expires deletion.

export class CookieJar {
  #cookies = new Map(); // origin -> Map(name -> { value, path, expires })

  store(url, response) {
    const origin = new URL(url).origin;
    const lines = typeof response.headers.getSetCookie === 'function'
      ? response.headers.getSetCookie()
      : (response.headers.get('set-cookie') ? [response.headers.get('set-cookie')] : []);
    for (const line of lines) {
      const [pair, ...attrParts] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let path = '/';
      let expires;
      for (const part of attrParts) {
        const [k, ...v] = part.split('=');
        const key = k.trim().toLowerCase();
        const val = v.join('=').trim();
        if (key === 'path' && val.startsWith('/')) path = val;
        else if (key === 'max-age') expires = Date.now() + Number(val) * 1000;
        else if (key === 'expires' && expires === undefined) {
          const t = Date.parse(val);
          if (!Number.isNaN(t)) expires = t;
        }
      }
      if (!this.#cookies.has(origin)) this.#cookies.set(origin, new Map());
      const bucket = this.#cookies.get(origin);
      if (expires !== undefined && expires <= Date.now()) bucket.delete(name);
      else bucket.set(name, { value, path, expires });
      log(`cookie set: ${name} (path=${path})`);
    }
  }

  header(url) {
    const u = new URL(url);
    const bucket = this.#cookies.get(u.origin);
    if (!bucket) return undefined;
    const now = Date.now();
    const parts = [];
    for (const [name, c] of bucket) {
      if (c.expires !== undefined && c.expires <= now) continue;
      const p = c.path;
      const pathMatches = u.pathname === p || u.pathname.startsWith(p.endsWith('/') ? p : p + '/');
      if (pathMatches) parts.push(`${name}=${c.value}`);
    }
    return parts.length ? parts.join('; ') : undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Headless "browser" that walks the authorization server's pages until the redirect URI.

export async function driveAuthorization(authorizationUrl, { redirectUrl, user, password, decision, upstream }) {
  const jar = new CookieJar();
  const redirect = new URL(redirectUrl);
  const asOrigin = new URL(authorizationUrl).origin;
  let request = { url: new URL(authorizationUrl).href, method: 'GET', body: undefined };
  let postedLogin = false;
  let postedConsent = false;
  let followedProvider = false;
  let last = { status: 0, url: request.url, text: '' };

  for (let hop = 1; hop <= MAX_HOPS; hop++) {
    const headers = { accept: 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8', 'user-agent': 'McpSseAuth-e2e-ts' };
    const cookie = jar.header(request.url);
    if (cookie) headers.cookie = cookie;
    if (request.body !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers.origin = new URL(request.url).origin;
      headers.referer = last.url;
    }
    log(`hop ${hop}: ${request.method} ${request.url}`);
    const res = await fetch(request.url, { method: request.method, headers, body: request.body, redirect: 'manual' });
    jar.store(request.url, res);
    const text = await res.text();
    last = { status: res.status, url: request.url, text };
    log(`  -> ${res.status}${res.headers.get('location') ? ' Location: ' + res.headers.get('location') : ''}`);

    if ([301, 302, 303, 307, 308].includes(res.status)) {
      const location = res.headers.get('location');
      if (!location) throw new HarnessError(`${res.status} from ${request.url} without a Location header`);
      const target = new URL(location, request.url);
      if (target.origin === redirect.origin && target.pathname === redirect.pathname) {
        return Object.fromEntries(
          ['code', 'state', 'iss', 'error', 'error_description'].map((k) => [k, target.searchParams.get(k) ?? undefined]),
        );
      }
      if (target.origin !== asOrigin && !upstream) {
        throw new HarnessError(`redirect to a foreign origin (not the redirect URI): ${target.href}`);
      }
      const keepMethod = (res.status === 307 || res.status === 308) && request.method === 'POST';
      request = keepMethod
        ? { url: target.href, method: 'POST', body: request.body }
        : { url: target.href, method: 'GET', body: undefined };
      continue;
    }

    if (upstream && res.status === 403) {
      // The access-denied page: its link takes error=access_denied back to the redirect URI, as a user would click it.
      const back = tagsIn(text, 'a').map((a) => new URL(a.href ?? '', request.url))
        .find((u) => u.origin === redirect.origin && u.pathname === redirect.pathname);
      if (back) {
        log(`  access denied page: ${visibleText(text, 200)}`);
        return Object.fromEntries(
          ['code', 'state', 'iss', 'error', 'error_description'].map((k) => [k, back.searchParams.get(k) ?? undefined]),
        );
      }
    }

    if (res.status !== 200) {
      throw new HarnessError(`unexpected HTTP ${res.status} from ${request.method} ${request.url}; body: ${excerpt(text)}`);
    }

    // Upstream mode, on our login page: follow the provider's "Sign in with ..." link.
    const providerLink = upstream && !followedProvider && new URL(request.url).origin === asOrigin
      ? tagsIn(text, 'a').find((a) => (a.href ?? '').includes('provider='))
      : undefined;
    if (providerLink) {
      followedProvider = true;
      request = { url: new URL(providerLink.href, request.url).href, method: 'GET', body: undefined };
      log(`  following the provider link ${request.url}`);
      continue;
    }

    const form = findPostForm(text);
    if (!form) {
      throw new HarnessError(`page ${request.url} (HTTP ${res.status}) has no <form method="post">; body: ${excerpt(text)}`);
    }

    // Action: relative to the page URL; absent/empty -> the page URL itself (query string included).
    const action = form.attrs.action ? new URL(form.attrs.action, request.url) : new URL(request.url);
    if (action.origin !== asOrigin && !upstream) {
      throw new HarnessError(`form on ${request.url} posts to a foreign origin: ${action.href}`);
    }

    // Successful controls, as a browser would send them (buttons are added below).
    const fields = new URLSearchParams();
    const names = new Set();
    for (const input of form.inputs) {
      if (!input.name || 'disabled' in input) continue;
      const type = (input.type ?? 'text').toLowerCase();
      if (['submit', 'button', 'image', 'reset', 'file'].includes(type)) continue;
      if ((type === 'checkbox' || type === 'radio') && !('checked' in input)) continue;
      names.add(input.name);
      if (input.name === 'username' || input.name === 'password') continue; // filled below
      fields.append(input.name, input.value ?? (type === 'checkbox' || type === 'radio' ? 'on' : ''));
    }
    const decisionButtons = form.buttons.filter((b) => b.name === 'decision')
      .concat(form.inputs.filter((i) => i.name === 'decision' && (i.type ?? '').toLowerCase() === 'submit'));

    const hiddenOnly = form.inputs.every((i) => (i.type ?? 'text').toLowerCase() === 'hidden');
    if (upstream && names.has('login') && names.has('password')) {
      // The provider's login form.
      if (postedLogin) {
        throw new HarnessError(`upstream login rejected: the provider's form was shown again at ${request.url}; page text: ${visibleText(text)}`);
      }
      postedLogin = true;
      fields.set('login', user);
      fields.set('password', password);
      log(`  provider login form: posting to ${action.href}`);
    } else if (upstream && hiddenOnly && (names.has('code') || names.has('error'))) {
      // response_mode=form_post: the provider hands the result to the server's callback in an auto-submitted form.
      log(`  form_post response: posting ${[...fields.keys()].join(', ')} to ${action.href}`);
    } else if (names.has('username') && names.has('password')) {
      if (postedLogin) {
        throw new HarnessError(`login rejected: the login form was shown again at ${request.url} (HTTP ${res.status}); page text: ${visibleText(text)}`);
      }
      postedLogin = true;
      fields.append('username', user);
      fields.append('password', password);
      log(`  login form: posting ${[...fields.keys()].join(', ')} to ${action.href}`);
    } else if (decisionButtons.length > 0) {
      if (postedConsent) {
        throw new HarnessError(`the consent form was shown again at ${request.url}; body: ${excerpt(text)}`);
      }
      postedConsent = true;
      const values = decisionButtons.map((b) => b.value ?? '');
      if (!values.includes(decision)) {
        throw new HarnessError(`consent form has no decision button with value "${decision}" (has: ${values.join(', ')})`);
      }
      fields.append('decision', decision);
      log(`  consent form: posting ${[...fields.keys()].join(', ')} (decision=${decision}) to ${action.href}`);
    } else {
      throw new HarnessError(`unrecognised form on ${request.url} (neither login nor consent); body: ${excerpt(text)}`);
    }
    request = { url: action.href, method: 'POST', body: fields.toString() };
  }

  throw new HarnessError(
    `gave up after ${MAX_HOPS} hops without reaching the redirect URI; last page: HTTP ${last.status} ${last.url}; body: ${excerpt(last.text)}`,
  );
}

/**
 * For clients that sign in by themselves and only print the authorization URL (mcp-remote, the Inspector's CLI): walks
 * the pages like a browser, then delivers the redirect to the client's own callback server, as the browser's last hop.
 */
export async function completeAuthorization(authorizationUrl, { user, password, decision = 'allow' }) {
  const url = new URL(authorizationUrl);
  const redirectUrl = url.searchParams.get('redirect_uri');
  const result = await driveAuthorization(url, { redirectUrl, user, password, decision });
  const callback = new URL(redirectUrl);
  for (const [k, v] of Object.entries(result)) if (v !== undefined) callback.searchParams.set(k, v);
  const answer = await fetch(callback);
  await answer.body?.cancel();
  return result;
}

// ---------------------------------------------------------------------------------------------
// In-memory OAuthClientProvider

export class HeadlessOAuthProvider {
  constructor({ redirectUrl, user, password, decision, upstream, noRefresh, clientMetadataUrl }) {
    this._redirectUrl = redirectUrl;
    // A client ID metadata document URL: used as the client_id when the server supports them (no registration).
    this.clientMetadataUrl = clientMetadataUrl;
    this._noRefresh = !!noRefresh;
    this._login = { user, password, decision, upstream };
    this._clientInformation = undefined;
    this._tokens = undefined;
    this._codeVerifier = undefined;
    this._state = undefined;
    this._discovery = undefined;
    /** Set by redirectToAuthorization: { code, state, iss, error, error_description } */
    this.authorizationResult = undefined;
  }

  get redirectUrl() {
    return this._redirectUrl;
  }

  get clientMetadata() {
    return {
      client_name: 'McpSseAuth TS e2e',
      redirect_uris: [this._redirectUrl],
      grant_types: this._noRefresh ? ['authorization_code'] : ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }

  state() {
    this._state = randomBytes(16).toString('base64url');
    return this._state;
  }

  clientInformation() {
    return this._clientInformation;
  }

  saveClientInformation(info) {
    log(`registered client_id=${info.client_id}`);
    this._clientInformation = info;
  }

  tokens() {
    return this._tokens;
  }

  saveTokens(tokens) {
    log(`tokens saved (token_type=${tokens.token_type}, scope=${tokens.scope ?? ''}, refresh=${tokens.refresh_token ? 'yes' : 'no'})`);
    this._tokens = tokens;
  }

  saveCodeVerifier(v) {
    this._codeVerifier = v;
  }

  codeVerifier() {
    if (!this._codeVerifier) throw new Error('no code verifier saved');
    return this._codeVerifier;
  }

  discoveryState() {
    return this._discovery;
  }

  saveDiscoveryState(s) {
    this._discovery = s;
  }

  invalidateCredentials(scope) {
    log(`invalidateCredentials(${scope})`);
    if (scope === 'all' || scope === 'client') this._clientInformation = undefined;
    if (scope === 'all' || scope === 'tokens') this._tokens = undefined;
    if (scope === 'all' || scope === 'verifier') this._codeVerifier = undefined;
    if (scope === 'all' || scope === 'discovery') this._discovery = undefined;
  }

  async redirectToAuthorization(authorizationUrl) {
    log(`authorization URL: ${authorizationUrl.href}`);
    const sentState = authorizationUrl.searchParams.get('state');
    if (!this._state || sentState !== this._state) {
      throw new HarnessError(`authorization URL state (${sentState}) differs from the provider's state (${this._state})`);
    }
    const result = await driveAuthorization(authorizationUrl, { redirectUrl: this._redirectUrl, ...this._login });
    log(`redirect URI reached: ${JSON.stringify(result)}`);

    if (result.state !== this._state) {
      throw new HarnessError(
        `state mismatch in the redirect: expected ${this._state}, got ${result.state ?? '(none)'}` +
          (result.error ? ` (error=${result.error})` : ''),
      );
    }
    // RFC 9207: when iss is present (or advertised as supported) it must equal the issuer.
    const asMeta = this._discovery?.authorizationServerMetadata;
    if (result.iss !== undefined && asMeta?.issuer && result.iss !== asMeta.issuer) {
      throw new HarnessError(`iss mismatch in the redirect: expected ${asMeta.issuer}, got ${result.iss}`);
    }
    if (result.iss === undefined && asMeta?.authorization_response_iss_parameter_supported === true) {
      throw new HarnessError('the authorization server advertises authorization_response_iss_parameter_supported but sent no iss');
    }
    if (!result.error && !result.code) {
      throw new HarnessError('redirect URI reached without code and without error');
    }
    this.authorizationResult = result;
  }
}

// ---------------------------------------------------------------------------------------------
// Main

function parseCli() {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      transport: { type: 'string', default: 'http' },
      user: { type: 'string' },
      password: { type: 'string' },
      decision: { type: 'string', default: 'allow' },
      tool: { type: 'string', default: 'whoami' },
      args: { type: 'string' },
      timeout: { type: 'string', default: '60' },
      verbose: { type: 'boolean', default: false },
      upstream: { type: 'boolean', default: false },
      'no-refresh': { type: 'boolean', default: false },
      'client-metadata-url': { type: 'string' },
      sdk: { type: 'string', default: 'ts1' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const usage =
    "usage: node client.mjs --url <MCP endpoint URL> --transport http|sse --user <name> --password <pw> [--decision allow|deny] [--tool whoami] [--args '{\"json\":1}'] [--timeout 60] [--verbose] [--upstream] [--no-refresh] [--client-metadata-url <https URL>] [--sdk ts1|ts2|ai-sdk]";
  if (values.help) {
    process.stderr.write(usage + '\n');
    process.exit(0);
  }
  const fail = (msg) => {
    throw new HarnessError(`${msg}\n${usage}`, 2);
  };
  if (!values.url) fail('--url is required');
  if (values.user === undefined) fail('--user is required');
  if (values.password === undefined) fail('--password is required');
  if (!['http', 'sse'].includes(values.transport)) fail('--transport must be http or sse');
  if (!['allow', 'deny'].includes(values.decision)) fail('--decision must be allow or deny');
  if (!['ts1', 'ts2', 'ai-sdk'].includes(values.sdk)) fail('--sdk must be ts1, ts2 or ai-sdk');
  let url;
  try {
    url = new URL(values.url);
  } catch {
    fail(`--url is not a valid URL: ${values.url}`);
  }
  const timeoutSeconds = Number(values.timeout);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) fail('--timeout must be a positive number of seconds');
  let toolArgs = {};
  if (values.args !== undefined) {
    try {
      toolArgs = JSON.parse(values.args);
    } catch (e) {
      fail(`--args is not valid JSON: ${e.message}`);
    }
    if (toolArgs === null || typeof toolArgs !== 'object' || Array.isArray(toolArgs)) fail('--args must be a JSON object');
  }
  return { ...values, url, toolArgs, timeoutSeconds };
}

// The client under test: the TypeScript SDK 1.x (default), its 2.x (@modelcontextprotocol/client), or the Vercel AI SDK's
// MCP client (@ai-sdk/mcp, its own OAuth code). All take the same OAuthClientProvider.
let sdk = { Client, StreamableHTTPClientTransport, SSEClientTransport, UnauthorizedError };

async function loadSdk(name) {
  if (name === 'ts2') sdk = await import('@modelcontextprotocol/client');
  if (name === 'ai-sdk') sdk = await import('@ai-sdk/mcp');
}

function makeTransport(kind, url, authProvider) {
  return kind === 'sse'
    ? new sdk.SSEClientTransport(url, { authProvider })
    : new sdk.StreamableHTTPClientTransport(url, { authProvider });
}

function makeClient() {
  return new sdk.Client({ name: 'mcpsseauth-e2e-ts', version: '0.0.0' });
}

// The 2.x transports take the callback's parameters (code, state, iss); 1.x the code.
async function finishAuth(opts, transport, result) {
  if (opts.sdk === 'ts2') {
    const params = new URLSearchParams({ code: result.code, state: result.state });
    if (result.iss !== undefined) params.set('iss', result.iss);
    return transport.finishAuth(params);
  }
  return transport.finishAuth(result.code);
}

// The Vercel AI SDK: createMCPClient with the provider; a 401 ends in its UnauthorizedError after the headless sign-in,
// then its auth() redeems the code and a new client connects.
async function mainAiSdk(opts, provider) {
  const connect = () => sdk.createMCPClient({ transport: { type: opts.transport === 'sse' ? 'sse' : 'http', url: opts.url.href, authProvider: provider } });
  let client;
  try {
    client = await connect();
  } catch (e) {
    const result = provider.authorizationResult;
    if (!result) throw new HarnessError(`first connect failed without an authorization: ${e?.message ?? e}`);
    if (result.error) {
      throw Object.assign(new HarnessError(`authorization failed: ${result.error}`, 3), { stdout: JSON.stringify({ error: result.error }) });
    }
    log('exchanging the authorization code (AI SDK auth())');
    await sdk.auth(provider, { serverUrl: opts.url, authorizationCode: result.code, callbackState: result.state, callbackIssuer: result.iss });
    client = await connect();
  }
  const { tools } = await client.listTools();
  const callResult = await client.callTool({ name: opts.tool, arguments: opts.toolArgs });
  await client.close().catch(() => {});
  const text = (callResult.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');
  const out = { tools: tools.map((t) => t.name), result: text, transport: opts.transport, steppedUp: false };
  return callResult.isError
    ? { exitCode: 4, stdout: JSON.stringify({ ...out, isError: true }), stderr: `tool ${opts.tool} returned isError: ${text}` }
    : { exitCode: 0, stdout: JSON.stringify(out) };
}

let timer;

async function main() {
  const opts = parseCli();
  verbose = opts.verbose;
  // Global timeout (default 60 s): whatever hangs, the process exits non-zero.
  timer = setTimeout(() => {
    finish(124, undefined, `global timeout: no result after ${opts.timeoutSeconds} s`);
  }, opts.timeoutSeconds * 1000);

  const port = await freeLoopbackPort();
  const redirectUrl = `http://127.0.0.1:${port}/callback`;
  const provider = new HeadlessOAuthProvider({
    redirectUrl,
    user: opts.user,
    password: opts.password,
    decision: opts.decision,
    upstream: opts.upstream,
    noRefresh: opts['no-refresh'],
    clientMetadataUrl: opts['client-metadata-url'],
  });
  await loadSdk(opts.sdk);
  if (opts.sdk === 'ai-sdk') return mainAiSdk(opts, provider);

  // 1st attempt: expected to hit 401 -> discovery -> DCR -> authorization (headless) -> UnauthorizedError.
  let transport = makeTransport(opts.transport, opts.url, provider);
  let client = makeClient();
  let connected = false;
  try {
    await client.connect(transport);
    connected = true; // only if the server did not require authorization at all
    log('connected without authorization (server did not challenge)');
  } catch (e) {
    if (!(e instanceof sdk.UnauthorizedError)) {
      if (e instanceof HarnessError) throw e;
      const cause = e?.cause ? ` (cause: ${e.cause?.code ?? ''} ${e.cause?.message ?? e.cause})` : '';
      throw new HarnessError(`first connect failed with a non-authorization error: ${e?.message ?? e}${cause}`);
    }
    const result = provider.authorizationResult;
    if (!result) {
      throw new HarnessError(`connect threw UnauthorizedError but no authorization was performed: ${e.message}`);
    }
    if (result.error) {
      if (result.error_description) process.stderr.write(`[e2e-ts] error_description: ${result.error_description}\n`);
      throw Object.assign(new HarnessError(`authorization failed: ${result.error}`, 3), { stdout: JSON.stringify({ error: result.error }) });
    }
    log('exchanging the authorization code');
    await finishAuth(opts, transport, result);
    await transport.close().catch(() => {});

    // 2nd attempt with a fresh transport and client, same provider (now holding tokens).
    transport = makeTransport(opts.transport, opts.url, provider);
    client = makeClient();
    await client.connect(transport);
    connected = true;
  }
  if (!connected) throw new HarnessError('not connected');
  log(`connected; server=${JSON.stringify(client.getServerVersion())}`);

  const { tools } = await client.listTools();
  const toolNames = tools.map((t) => t.name);
  log(`tools: ${toolNames.join(', ')}`);

  // A tool that needs more scopes answers 403 insufficient_scope: the SDK authorizes again with them (step-up), which
  // in this headless harness ends in UnauthorizedError with a new code; finish it and call again, once.
  provider.authorizationResult = undefined;
  let steppedUp = false;
  let callResult;
  try {
    callResult = await client.callTool({ name: opts.tool, arguments: opts.toolArgs });
  } catch (e) {
    const result = provider.authorizationResult;
    if (!(e instanceof sdk.UnauthorizedError) || !result) throw e;
    if (result.error) {
      throw Object.assign(new HarnessError(`step-up authorization failed: ${result.error}`, 3), { stdout: JSON.stringify({ error: result.error }) });
    }
    log('step-up: exchanging the new authorization code and calling again');
    await finishAuth(opts, transport, result);
    steppedUp = true;
    callResult = await client.callTool({ name: opts.tool, arguments: opts.toolArgs });
  }
  const text = (callResult.content ?? [])
    .filter((c) => c.type === 'text')
    .map((c) => c.text)
    .join('\n');
  const out = { tools: toolNames, result: text, transport: opts.transport, steppedUp };
  await client.close().catch(() => {});
  if (callResult.isError) {
    out.isError = true;
    return { exitCode: 4, stdout: JSON.stringify(out), stderr: `tool ${opts.tool} returned isError: ${text}` };
  }
  return { exitCode: 0, stdout: JSON.stringify(out) };
}

// Run only when executed directly (importing the module exposes the HTML/cookie helpers).
const isEntryPoint = !!process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
if (isEntryPoint) main().then(
  ({ exitCode, stdout, stderr }) => {
    clearTimeout(timer);
    finish(exitCode, stdout, stderr);
  },
  (err) => {
    clearTimeout(timer);
    if (err instanceof HarnessError) {
      finish(err.exitCode, err.stdout, err.message);
    } else {
      finish(1, undefined, `failure: ${err?.stack ?? err}`);
    }
  },
);
