import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Batch } from '@sluice/core';
import { nullSink } from './null-sink.js';
import { configFor, fakeContext, NO_SIGNAL, textBatch } from '../test-support.js';

test('counts and discards, logging each time the total passes a multiple of logEveryNEvents', async () => {
  const ctx = fakeContext();
  const sink = nullSink.create(configFor(nullSink, { batchSize: 4, logEveryNEvents: 5 }), ctx);
  await sink.start();
  for (let i = 0; i < 3; i++) assert.deepEqual(await sink.deliver(textBatch(['a', 'b', 'c', 'd']), NO_SIGNAL), { status: 'ok' });
  assert.deepEqual(await sink.deliver(textBatch(['e']), NO_SIGNAL), { status: 'ok' });
  assert.deepEqual(
    ctx.records.filter((r) => r.msg === 'null sink processed events').map((r) => r['events']),
    [8, 12],
  );
  await sink.stop();
});

test('never decodes the batch', async () => {
  const ctx = fakeContext();
  const sink = nullSink.create(configFor(nullSink, { logEveryNEvents: 7 }), ctx);
  assert.equal(sink.batchSize, 100);
  // Bytes that are not a batch: a sink that decoded them would throw.
  assert.deepEqual(await sink.deliver(new Batch(Buffer.from([0xff]), 7), NO_SIGNAL), { status: 'ok' });
  assert.deepEqual(
    ctx.records.filter((r) => r.msg === 'null sink processed events').map((r) => r['events']),
    [7],
  );
  assert.deepEqual(ctx.counters.snapshot(), fakeContext().counters.snapshot(), 'the runtime counts deliveries, not the sink');
});
