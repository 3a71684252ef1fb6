/**
 * Test support shared by the sources' unit tests: a fake runtime context whose `emit` records
 * committed batches and can be scripted to fail or hold. Not exported from the lib's index.
 */
import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo } from 'node:net';
import { ChannelFullError, Counters, SOURCE_COUNTERS, type Emit, type EmitBatch, type EmitOptions, type SluiceEvent, type Source, type SourceContext } from '@sluice/core';
import { memoryLogger, waitUntil, type LogRecord } from '@sluice/testkit';

type Outcome = { kind: 'full'; retryAfterMs: number } | { kind: 'error'; error: Error };

/** The fake runtime's window: `writable()` is false while this many emits are outstanding. */
export const FAKE_WINDOW = 8;

/**
 * Stands in for the runtime's emitter and its channels. An emit commits (records) its batch in
 * call order, unless a scripted outcome makes it reject, or the channel is held: then emits wait
 * until `release()` (as the runtime keeps them pending while a channel is full). `writable()` is
 * false while FAKE_WINDOW emits are outstanding. Counts nothing: the runtime's emitter keeps the
 * source counters (its own tests check them).
 */
export class FakeChannel {
  /** Committed batches, in commit order. */
  readonly batches: SluiceEvent[][] = [];
  /** The options of every emit call, in call order. */
  readonly options: (EmitOptions | undefined)[] = [];
  /** Every emit call, committed or not. */
  calls = 0;
  /** Emits currently waiting (held). */
  waiting = 0;
  /** Emits not yet settled. */
  outstanding = 0;
  private readonly outcomes: Outcome[] = [];
  private held = false;
  private releaseWaiters: (() => void)[] = [];
  private writableWaiters: (() => void)[] = [];

  /** The next `n` emits reject with a ChannelFullError (as a bounded emit does past its wait). */
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

  readonly emit: Emit = async (events, options) => {
    this.calls++;
    this.outstanding++;
    this.options.push(options);
    try {
      await Promise.resolve(); // as in the runtime, a batch is never committed within the emit call
      if (this.held) {
        this.waiting++;
        await new Promise<void>((resolve) => this.releaseWaiters.push(resolve));
        this.waiting--;
      }
      const outcome = this.outcomes.shift();
      if (outcome?.kind === 'full') throw new ChannelFullError('c1', outcome.retryAfterMs);
      if (outcome?.kind === 'error') throw outcome.error;
      this.batches.push([...events]);
    } finally {
      this.outstanding--;
      if (this.writable()) for (const w of this.writableWaiters.splice(0)) w();
    }
  };

  /** A batch that arrived encoded is emitted as its events, as the runtime does when it must decode. */
  readonly emitBatch: EmitBatch = (batch, options) => this.emit(batch.events(), options);

  readonly writable = (): boolean => this.outstanding < FAKE_WINDOW;

  readonly whenWritable = (): Promise<void> => (this.writable() ? Promise.resolve() : new Promise((resolve) => this.writableWaiters.push(resolve)));

  events(): SluiceEvent[] {
    return this.batches.flat();
  }

  bodies(encoding: BufferEncoding = 'utf8'): string[] {
    return this.events().map((e) => e.body.toString(encoding));
  }
}

export interface FakeSourceContext extends SourceContext {
  readonly counters: Counters;
  /** What the source told `retrying`, in order. */
  readonly retryingCalls: (string | undefined)[];
  readonly records: LogRecord[];
}

export function fakeSourceContext(channel: FakeChannel = new FakeChannel(), name = 'r1'): FakeSourceContext {
  const { logger, records } = memoryLogger();
  const retryingCalls: (string | undefined)[] = [];
  return {
    agent: 'a1',
    name,
    logger,
    records,
    counters: new Counters(SOURCE_COUNTERS),
    dataDir: '/nonexistent',
    emit: channel.emit,
    emitBatch: channel.emitBatch,
    writable: channel.writable,
    whenWritable: channel.whenWritable,
    retrying: (reason) => void retryingCalls.push(reason),
    retryingCalls,
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Starts `source` on a port another server holds, and checks what a busy port must give: start()
 * resolves, the runtime is told the source is retrying, the failure is logged once at error
 * with its code and no stack, the retries at debug; once the port is freed the source binds,
 * logs it at info and tells the runtime it works. Returns the port it bound.
 */
export async function checkBusyPortRetried(create: (port: number) => { source: Source; ctx: FakeSourceContext }): Promise<number> {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as AddressInfo).port;
  const { source, ctx } = create(port);
  try {
    await source.start();
    assert.deepEqual(ctx.retryingCalls, [`cannot listen on 127.0.0.1:${port}: EADDRINUSE`]);
    await waitUntil(() => ctx.records.some((r) => r.msg === 'Still cannot listen; retrying.'), 'a quiet retry');
    const failures = ctx.records.filter((r) => r.level >= 50);
    assert.equal(failures.length, 1, 'the failure is logged once');
    assert.equal(failures[0]!['code'], 'EADDRINUSE');
    assert.equal(failures[0]!['err'], undefined, 'no error object with its stack');
    await new Promise((resolve) => blocker.close(resolve));
    await waitUntil(() => ctx.retryingCalls.length === 2, 'the bind after the port was freed');
    assert.equal(ctx.retryingCalls[1], undefined);
    assert.ok(ctx.records.some((r) => r.level === 30 && r.msg === 'Listening now; the address was busy.'));
    assert.equal(ctx.records.filter((r) => r.level >= 50).length, 1, 'nothing more at error');
    const client = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => client.once('connect', resolve).once('error', reject));
    client.destroy();
    return port;
  } finally {
    await source.stop();
    if (blocker.listening) await new Promise((resolve) => blocker.close(resolve));
  }
}

export { configFor } from '@sluice/config/testing';
