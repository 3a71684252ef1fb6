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
