import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Batch, SluiceError, type Delivery, type Sink } from '@sluice/core';
import { defaultProcessor } from './default-processor.js';
import { configFor, fakeContext } from '../test-support.js';

function recordingSink(batchSize: number, answer: Delivery): Sink & { seen: [Batch, AbortSignal][] } {
  const seen: [Batch, AbortSignal][] = [];
  return {
    batchSize,
    seen,
    start: async () => {},
    stop: async () => {},
    deliver: async (batch, signal) => {
      seen.push([batch, signal]);
      return answer;
    },
  };
}

test('delivers every batch to its single sink, with the sink’s batch size and answer', async () => {
  const retry: Delivery = { status: 'retry', error: new Error('down') };
  const sink = recordingSink(250, retry);
  const processor = defaultProcessor.create(configFor(defaultProcessor, {}), [{ name: 'k1', sink }], fakeContext());
  assert.equal(processor.batchSize, 250);
  const batch = Batch.of([{ headers: {}, body: Buffer.from('x') }]);
  const signal = new AbortController().signal;
  assert.equal(await processor.deliver(batch, signal), retry);
  assert.equal(sink.seen.length, 1);
  assert.equal(sink.seen[0]![0], batch);
  assert.equal(sink.seen[0]![1], signal);
});

test('a group of zero or several sinks is a config error', () => {
  const ok = { status: 'ok' } as const;
  for (const sinks of [[], ['k1', 'k2']]) {
    assert.throws(
      () =>
        defaultProcessor.create(
          configFor(defaultProcessor, {}),
          sinks.map((name) => ({ name, sink: recordingSink(1, ok) })),
          fakeContext(),
        ),
      (err: unknown) => err instanceof SluiceError && err.code === 'SLUICE_ERR_CONFIG' && /exactly one sink, got \d/.test(err.message),
    );
  }
});
