/**
 * Polls `predicate` every 5 ms until it holds; rejects after `timeoutMs` with `what` in the
 * message. For a state another part of the same process reaches (a counter, a record, a file).
 */
export async function waitUntil(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
