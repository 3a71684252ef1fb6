/** @sluice/core/testing: helpers for tests only, not part of the library's public face. */
import { spawn } from 'node:child_process';
import { lstatSync } from 'node:fs';
import type { TestContext } from 'node:test';

/**
 * For tests that need something from the machine (root, haproxy, keytool, openssl): where it is
 * missing the test is skipped with the reason, except under CI=true, where it fails — CI installs
 * what the tests need (scripts/ci-deps.sh), so a missing tool there is a broken CI, not a skip.
 * Returns whether the test may go on.
 */
export function requireOrSkip(t: TestContext, available: boolean, reason: string): boolean {
  if (available) return true;
  if (process.env['CI'] === 'true') throw new Error(`${reason}: CI must provide it (see scripts/ci-deps.sh)`);
  t.skip(reason);
  return false;
}

/** Leaves a unix socket file at `path` that nobody listens on: a child listens there and is SIGKILLed. */
export async function staleSocket(path: string): Promise<void> {
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => console.log('ready'))`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the listener exited early (${code})`)));
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  if (!lstatSync(path).isSocket()) throw new Error(`the killed listener left no socket file at ${path}`);
}
