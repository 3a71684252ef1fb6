import type { Server } from 'node:net';
import type { SourceContext } from '@sluice/core';

/** First and longest delay between two tries to bind a busy port (each drawn from its upper half). */
export const LISTEN_RETRY_MIN_MS = 250;
export const LISTEN_RETRY_MAX_MS = 10_000;

export interface ListenRetryOptions {
  /** `host:port`, for the log and the reason the runtime is given. */
  readonly address: string;
  readonly ctx: Pick<SourceContext, 'logger' | 'retrying'>;
  /** Aborted by the source's stop(): retrying ends. */
  readonly signal: AbortSignal;
  /** Called once the port is bound (at once or after retries), unless the source stopped first. */
  readonly onBound: () => void;
  readonly minDelayMs?: number;
  readonly maxDelayMs?: number;
}

/**
 * Binds a source's port with `listen`, which rejects with the socket error (or an error whose
 * `cause` is it). Resolves once the first try is over: bound, or failed and retrying in the
 * background with a doubling, jittered delay until it binds or `signal` aborts. A
 * source whose port is busy (another process, an agent still stopping) thus keeps running and
 * binds as soon as the port is free, instead of its worker dying and being restarted.
 *
 * Logged once per change of state: the first failure at error with its `code` (no stack), a
 * failure with another code again, the retries at debug, and the bind after failures at info.
 * While it fails, the runtime is told (`ctx.retrying`), so the agent does not report ready.
 */
export async function listenWithRetry(listen: () => Promise<void>, options: ListenRetryOptions): Promise<void> {
  const { address, ctx, signal, onBound } = options;
  const first = await attempt(listen);
  if (first === undefined) {
    onBound();
    return;
  }
  const failing = (err: { code: string | undefined; message: string }): void => {
    ctx.logger.error({ address, code: err.code, reason: err.message }, 'Cannot listen; retrying until the address is free.');
    ctx.retrying(`cannot listen on ${address}: ${err.code ?? err.message}`);
  };
  let code = first.code;
  const since = Date.now();
  failing(first);
  void (async () => {
    let delay = options.minDelayMs ?? LISTEN_RETRY_MIN_MS;
    for (let failures = 1; ; failures++) {
      await sleep(delay / 2 + (Math.random() * delay) / 2, signal);
      if (signal.aborted) return;
      const err = await attempt(listen);
      if (signal.aborted) return;
      if (err === undefined) {
        ctx.logger.info({ address, failedAttempts: failures, retryingForMs: Date.now() - since }, 'Listening now; the address was busy.');
        ctx.retrying(undefined);
        onBound();
        return;
      }
      if (err.code !== code) {
        code = err.code;
        failing(err);
      } else {
        ctx.logger.debug({ address, code, failedAttempts: failures + 1 }, 'Still cannot listen; retrying.');
      }
      delay = Math.min(options.maxDelayMs ?? LISTEN_RETRY_MAX_MS, delay * 2);
    }
  })();
}

/** undefined when `listen` succeeded; else the socket error's code and message. */
async function attempt(listen: () => Promise<void>): Promise<{ code: string | undefined; message: string } | undefined> {
  try {
    await listen();
    return undefined;
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
    const socketError = e.cause?.code !== undefined ? e.cause : e;
    return { code: socketError.code, message: socketError.message };
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

/** One try at binding a TCP server (the `listen` of listenWithRetry): rejects with the socket error. */
export function listenOnce(server: Server, host: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
}
