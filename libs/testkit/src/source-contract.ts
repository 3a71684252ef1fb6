import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ChannelFullError, type Source } from '@sluice/core';
import { ControlledSourceContext } from './controlled-source-context.js';
import { waitUntil } from './wait-until.js';

/** What a source answered its upstream for one input item. */
export type UpstreamAck = 'ok' | 'failed';

/** A source under test, started over a ControlledSourceContext. */
export interface SourceUnderTest {
  readonly source: Source;
  /**
   * Hands items to the source's upstream (a client's write or request, a line appended to what a
   * command reads); resolves once they are sent, not once they are acknowledged. Absent for a
   * source that makes its own input (seq): it was told its items when started.
   */
  readonly feed?: (items: readonly string[]) => Promise<void>;
  /**
   * What the source answered its upstream so far, one entry per item, in item order. Absent for a
   * source that answers nobody (seq, exec).
   */
  readonly acks?: () => readonly UpstreamAck[];
  /** Closes what the test made (clients, files); the contract stops the source itself. */
  readonly cleanup?: () => Promise<void>;
}

export interface SourceContractOptions {
  /**
   * `self`: the source reads at its own pace (seq, exec) and must obey `writable()`; `clients`: it
   * is driven by its clients (netcat, avro), each waiting for its answer.
   */
  readonly paced: 'self' | 'clients';
  /**
   * The bodies the source emits for `n` input items; by default `item 0`, `item 1`... A source
   * that makes its own input gives its own (seq: `0`, `1`...).
   */
  readonly input?: (n: number) => string[];
  /** A new source over `ctx`, started; `items` is its whole input when it makes its own. */
  readonly start: (ctx: ControlledSourceContext, items: readonly string[]) => Promise<SourceUnderTest>;
  /**
   * For a self-paced source: the most items it may still emit once `writable()` turned false,
   * being what it had already read (exec: a pipe's read). Default 0.
   */
  readonly readAhead?: number;
  /** Items the back-pressure test feeds: far more than `readAhead`. Default 10,000. */
  readonly backPressureItems?: number;
}

/** Flume's source counters: the runtime's to count around emit, never the source's. */
const RUNTIME_COUNTERS = ['AppendBatchReceivedCount', 'EventReceivedCount', 'AppendBatchAcceptedCount', 'EventAcceptedCount', 'ChannelWriteFail'];

const defaultInput = (n: number): string[] => Array.from({ length: n }, (_, i) => `item ${i}`);

/** Rejects once `ms` passed without `promise` settling; otherwise settles as it does. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

function assertNoRuntimeCounters(ctx: ControlledSourceContext): void {
  for (const c of RUNTIME_COUNTERS) assert.equal(ctx.counters.get(c), 0, `${c} is the runtime's to count`);
}

/**
 * The rules every source keeps (docs/component-spec.md, "Sources"), checked over a context whose
 * emits the test resolves or rejects: upstream is acknowledged only after the emit of that data
 * resolved, and never OK for a rejected emit; a self-paced source emits no more once `writable()`
 * is false than what it had read, and resumes after `whenWritable()`; every item reaches an emit,
 * in order, once; `stop()` may be called twice and resolves while an emit is pending; Flume's
 * source counters stay the runtime's.
 */
export function describeSourceContract(name: string, options: SourceContractOptions): void {
  const input = options.input ?? defaultInput;
  const clients = options.paced === 'clients';

  async function withSource(items: readonly string[], body: (s: SourceUnderTest, ctx: ControlledSourceContext) => Promise<void>, setup?: (ctx: ControlledSourceContext) => void): Promise<void> {
    const ctx = new ControlledSourceContext();
    setup?.(ctx);
    const s = await options.start(ctx, items);
    try {
      await body(s, ctx);
    } finally {
      ctx.autoResolve = true;
      ctx.window = Number.POSITIVE_INFINITY;
      await s.source.stop();
      await s.cleanup?.();
    }
  }

  describe(`${name} source contract`, () => {
    test('every item reaches an emit, in order, exactly once', async () => {
      const items = input(100);
      await withSource(
        items,
        async (s, ctx) => {
          for (let i = 0; i < items.length; i += 20) await s.feed?.(items.slice(i, i + 20));
          await waitUntil(() => ctx.bodies().length >= items.length, `${items.length} items emitted`);
          if (s.acks) await waitUntil(() => s.acks!().length === items.length, `${items.length} answers`);
          assert.deepEqual(ctx.bodies(), items);
          if (s.acks) assert.deepEqual(s.acks(), items.map(() => 'ok'));
          assert.ok(ctx.emits.every((e) => e.state === 'resolved'));
          assertNoRuntimeCounters(ctx);
        },
        (ctx) => (ctx.autoResolve = true),
      );
    });

    if (clients) {
      test('upstream is acknowledged only after the emit resolved', async () => {
        await withSource([], async (s, ctx) => {
          await s.feed!(['first', 'second']);
          await waitUntil(() => ctx.pending > 0, 'the emit');
          assert.deepEqual(s.acks!(), [], 'nothing acknowledged while the emit is pending');
          await waitUntil(() => ctx.bodies().length === 2, 'both items emitted');
          assert.deepEqual(s.acks!(), [], 'nothing acknowledged while the emits are pending');
          ctx.resolveAll();
          await waitUntil(() => s.acks!().length === 2, 'two answers');
          assert.deepEqual(s.acks!(), ['ok', 'ok']);
        });
      });
    }

    if (clients) {
      test('a rejected emit is never acknowledged as OK', async () => {
        await withSource([], async (s, ctx) => {
          await s.feed!(['refused']);
          await waitUntil(() => ctx.pending === 1, 'the emit');
          ctx.rejectNext(new ChannelFullError('c1', 5));
          await waitUntil(() => s.acks!().length === 1, 'the answer');
          assert.deepEqual(s.acks!(), ['failed']);
          ctx.autoResolve = true;
          await s.feed!(['accepted']);
          await waitUntil(() => s.acks!().length === 2, 'the next answer');
          assert.deepEqual(s.acks!(), ['failed', 'ok'], 'the source goes on after a refusal');
          assert.deepEqual(ctx.bodies(), ['refused', 'accepted']);
          assertNoRuntimeCounters(ctx);
        });
      });
    }

    if (!clients) {
      test('emits no more while not writable than it had read, and resumes once writable', async () => {
        const items = input(options.backPressureItems ?? 10_000);
        const readAhead = options.readAhead ?? 0;
        const window = 2;
        await withSource(
          items,
          async (s, ctx) => {
            await s.feed?.(items);
            await waitUntil(() => ctx.waitsForWritable >= 1, 'the source to wait for whenWritable');
            const atPause = ctx.emits.length;
            assert.ok(atPause >= window, 'it emitted until the window was full');
            const beyond = ctx.emits.slice(window).reduce((n, e) => n + e.events.length, 0);
            assert.ok(beyond <= readAhead, `${beyond} items emitted after writable() turned false (at most ${readAhead})`);
            assert.ok(ctx.bodies().length < items.length, 'not everything was emitted');
            while (!ctx.writable()) ctx.resolveNext();
            await waitUntil(() => ctx.waitsForWritable >= 2, 'the source to resume, then wait again');
            assert.ok(ctx.emits.length > atPause, 'it emitted again after whenWritable resolved');
            ctx.autoResolve = true;
            ctx.window = Number.POSITIVE_INFINITY;
            await waitUntil(() => ctx.bodies().length >= items.length, `${items.length} items emitted`, 20_000);
            assert.deepEqual(ctx.bodies(), items, 'every item once, in order');
          },
          (ctx) => (ctx.window = window),
        );
      });
    }

    test('stop() resolves while an emit is pending, and may be called again', async () => {
      const ctx = new ControlledSourceContext();
      ctx.window = 2;
      const items = input(1000);
      const s = await options.start(ctx, items);
      try {
        await s.feed?.(items);
        await waitUntil(() => ctx.pending > 0, 'a pending emit');
        await within(Promise.all([s.source.stop(), s.source.stop()]), 10_000, 'stop() with an emit pending');
        const emitted = ctx.emits.length;
        await within(s.source.stop(), 1000, 'a third stop()');
        ctx.window = Number.POSITIVE_INFINITY;
        ctx.autoResolve = true;
        await new Promise(setImmediate);
        assert.equal(ctx.emits.length, emitted, 'nothing emitted once stop() resolved, writable or not');
      } finally {
        ctx.autoResolve = true;
        await s.cleanup?.();
      }
    });
  });
}
