/**
 * For the syslog sources' tests only: a source context whose `emit` records committed events
 * and can be held (as the runtime holds emits while a channel is full).
 */
import type { SluiceEvent, SourceContext } from '@sluice/core';
import { fakeContext, type FakeContext } from '@sluice/testkit';

export interface TestSourceContext extends SourceContext, FakeContext {
  /** Committed events, in commit order. */
  readonly events: SluiceEvent[];
  /** Sizes of the committed batches. */
  readonly batchSizes: number[];
  /** Emits made and not yet committed. */
  outstanding(): number;
  /** Events passed to emit, committed or not. */
  emitted(): number;
  /** Emits from now on wait (and writable() is false) until release(). */
  hold(): void;
  release(): void;
  /** The next emit rejects with `error` (as the runtime does for a batch refused for good). */
  failNext(error: Error): void;
}

export function testSourceContext(): TestSourceContext {
  const base = fakeContext('r1');
  const events: SluiceEvent[] = [];
  const batchSizes: number[] = [];
  let held = false;
  let outstanding = 0;
  let emitted = 0;
  let failure: Error | undefined;
  let waiters: (() => void)[] = [];
  const emit = async (batch: readonly SluiceEvent[]): Promise<void> => {
    outstanding++;
    emitted += batch.length;
    while (held) await new Promise<void>((resolve) => waiters.push(resolve));
    outstanding--;
    const error = failure;
    failure = undefined;
    if (error !== undefined) throw error;
    events.push(...batch);
    batchSizes.push(batch.length);
  };
  const wake = (): void => {
    const w = waiters;
    waiters = [];
    for (const resolve of w) resolve();
  };
  return {
    ...base,
    events,
    batchSizes,
    emit,
    emitBatch: () => Promise.reject(new Error('not used')),
    writable: () => !held,
    whenWritable: () => (held ? new Promise<void>((resolve) => waiters.push(resolve)) : Promise.resolve()),
    retrying: () => undefined,
    outstanding: () => outstanding,
    emitted: () => emitted,
    hold: () => {
      held = true;
    },
    failNext: (error) => {
      failure = error;
    },
    release: () => {
      held = false;
      wake();
    },
  };
}
