/**
 * Test helpers shared by the sources' unit tests: a fake runtime context whose `emit` records
 * committed batches and can be scripted to fail or hold, and a pino logger writing to memory.
 * Not exported from the lib's index.
 */
import pino from 'pino';
import { ChannelFullError, Counters, SOURCE_COUNTERS, type Emit, type Logger, type SluiceEvent, type SourceContext } from '@sluice/core';

export interface LogRecord {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** A pino logger at debug level whose records are parsed into `records`. */
export function memoryLogger(): { logger: Logger; records: LogRecord[] } {
  const records: LogRecord[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void records.push(JSON.parse(line) as LogRecord) });
  return { logger, records };
}

type Outcome = { kind: 'full'; retryAfterMs: number } | { kind: 'error'; error: Error };

/**
 * Stands in for the runtime's channels. `emit` commits (records) a batch, unless scripted
 * outcomes say it fails, or the channel is held: then emits wait until `release()`.
 *
 * Like the runtime (emit commits in call order), a failing emit takes down the emits that reach
 * the channel before its failure is delivered (the same microtask flush): they fail with the
 * same error, so no later batch commits ahead of a failed one.
 */
export class FakeChannel {
  /** Committed batches, in commit order. */
  readonly batches: SluiceEvent[][] = [];
  /** Every emit call, committed or not. */
  calls = 0;
  /** Emits currently waiting (held). */
  waiting = 0;
  private readonly outcomes: Outcome[] = [];
  private held = false;
  private poison: Outcome | undefined;
  private releaseWaiters: (() => void)[] = [];

  /** The next `n` emits reject with a ChannelFullError. */
  failFull(n: number, retryAfterMs = 5): this {
    for (let i = 0; i < n; i++) this.outcomes.push({ kind: 'full', retryAfterMs });
    return this;
  }

  /** The next emit rejects with `error`. */
  failWith(error: Error): this {
    this.outcomes.push({ kind: 'error', error });
    return this;
  }

  /** Emits from now on wait until `release()`. */
  hold(): void {
    this.held = true;
  }

  release(): void {
    this.held = false;
    for (const w of this.releaseWaiters.splice(0)) w();
  }

  readonly emit: Emit = async (events) => {
    this.calls++;
    if (this.held) {
      this.waiting++;
      await new Promise<void>((resolve) => this.releaseWaiters.push(resolve));
      this.waiting--;
    }
    const outcome = this.poison ?? this.outcomes.shift();
    if (outcome !== undefined && this.poison === undefined) {
      this.poison = outcome;
      queueMicrotask(() => (this.poison = undefined));
    }
    if (outcome?.kind === 'full') throw new ChannelFullError('c1', outcome.retryAfterMs);
    if (outcome?.kind === 'error') throw outcome.error;
    this.batches.push([...events]);
  };

  events(): SluiceEvent[] {
    return this.batches.flat();
  }

  bodies(encoding: BufferEncoding = 'utf8'): string[] {
    return this.events().map((e) => e.body.toString(encoding));
  }
}

export interface FakeSourceContext extends SourceContext {
  readonly counters: Counters;
  readonly abort: AbortController;
  readonly records: LogRecord[];
}

export function fakeSourceContext(emit: Emit, name = 'r1'): FakeSourceContext {
  const { logger, records } = memoryLogger();
  const abort = new AbortController();
  return {
    agent: 'a1',
    name,
    logger,
    records,
    counters: new Counters(SOURCE_COUNTERS),
    dataDir: '/nonexistent',
    emit,
    // A batch that arrived encoded is emitted as its events, as the runtime does when it must decode.
    emitBatch: (batch, options) => emit(batch.events(), options),
    signal: abort.signal,
    abort,
  };
}

/** Polls `predicate` every 5 ms until it holds; rejects after `timeoutMs` with `what` in the message. */
export async function waitUntil(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export { configFor } from '@sluice/config';
