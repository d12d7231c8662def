// What mcp-remote-client.mjs and inspector-client.mjs share: a client that signs in by itself, run as a child process
// with a fresh folder of its own, whose printed authorization URL is completed headlessly (client.mjs's
// completeAuthorization: the pages walked, the redirect delivered to the client's callback server).

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { completeAuthorization } from './client.mjs';

/** --url, --transport http|sse, --user, --password, --tool (default whoami). */
export function clientOptions() {
  return parseArgs({
    options: {
      url: { type: 'string' },
      transport: { type: 'string', default: 'http' },
      user: { type: 'string' },
      password: { type: 'string' },
      tool: { type: 'string', default: 'whoami' },
    },
  }).values;
}

/**
 * Spawns `node <args(folder)>` with `env(folder)` added, `folder` being a fresh temporary folder, and signs it in as
 * opts.user when it prints an authorization URL (on stdout or stderr). Returns the child, everything it printed so far
 * (`output()`), and `done(exitCode, stdoutLine, message)`, which stops it, removes the folder and exits; a run over 90 s
 * ends with 124.
 */
export function startSelfSigningClient(label, opts, args, env) {
  const folder = mkdtempSync(join(tmpdir(), `${label}-`));
  let output = '';
  const child = spawn(process.execPath, args(folder), { env: { ...process.env, BROWSER: 'none', ...env(folder) }, stdio: ['pipe', 'pipe', 'pipe'] });
  let finished = false;
  const done = (code, line, message) => {
    // Once: the child's own exit, which killing it causes, must not answer a second time.
    if (finished) return;
    finished = true;
    child.kill('SIGKILL');
    rmSync(folder, { recursive: true, force: true });
    if (message) process.stderr.write(`[${label}] ${message}\n`);
    if (line) process.stdout.write(line + '\n', () => process.exit(code));
    else process.exit(code);
  };
  setTimeout(() => done(124, undefined, 'timeout after 90 s'), 90_000).unref();

  let authorizing = false;
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', async (line) => {
      output += line + '\n';
      const url = /https?:\/\/\S+\/authorize\?\S+/.exec(line)?.[0];
      if (!url || authorizing) return;
      authorizing = true;
      try {
        await completeAuthorization(url, { user: opts.user, password: opts.password });
      } catch (e) {
        done(1, undefined, `sign-in failed: ${e?.stack ?? e}`);
      }
    });
  }

  return { child, done, output: () => output };
}
