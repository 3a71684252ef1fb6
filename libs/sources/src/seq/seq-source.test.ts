import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_IN_FLIGHT, seqSource, sequenceBatch } from './seq-source.js';
import { configFor, FakeChannel, fakeSourceContext, sleep, waitUntil } from '../test-support.js';

function setup(values: Record<string, unknown>, ch = new FakeChannel()) {
  const ctx = fakeSourceContext(ch.emit);
  const source = seqSource.create(configFor(seqSource, values), ctx);
  return { ch, ctx, source };
}

function range(from: number, to: number): string[] {
  return Array.from({ length: to - from }, (_, i) => String(from + i));
}

test('sequenceBatch builds decimal bodies across digit boundaries, each with its own headers', () => {
  const events = sequenceBatch(97, 5);
  assert.deepEqual(
    events.map((e) => e.body.toString()),
    ['97', '98', '99', '100', '101'],
  );
  events[0]!.headers['k'] = 'v';
  assert.deepEqual(events[1]!.headers, {});
});

test('emits 0..totalEvents-1 in batches of batchSize, then stops by itself', async () => {
  const { ch, ctx, source } = setup({ batchSize: 10, totalEvents: 25 });
  await source.start();
  await waitUntil(() => ctx.records.some((r) => r.msg === 'sequence generator reached totalEvents'), 'the end');
  assert.deepEqual(ch.bodies(), range(0, 25));
  assert.deepEqual(
    ch.batches.map((b) => b.length),
    [10, 10, 5],
  );
  assert.equal(ctx.counters.get('EventAcceptedCount'), 25);
  assert.equal(ctx.counters.get('AppendBatchAcceptedCount'), 3);
  await source.stop();
});

test('the default batchSize is 1, as in Flume', async () => {
  const { ch, source } = setup({ totalEvents: 3 });
  await source.start();
  await waitUntil(() => ch.batches.length === 3, 'three batches');
  await source.stop();
  assert.deepEqual(
    ch.batches.map((b) => b.length),
    [1, 1, 1],
  );
});

test(`keeps ${MAX_IN_FLIGHT} emits in flight and no more`, async () => {
  const ch = new FakeChannel();
  ch.hold();
  const { source } = setup({ batchSize: 100 }, ch);
  await source.start();
  try {
    await waitUntil(() => ch.waiting === MAX_IN_FLIGHT, `${MAX_IN_FLIGHT} emits`);
    await sleep(20);
    assert.equal(ch.calls, MAX_IN_FLIGHT);
  } finally {
    ch.release();
  }
  await waitUntil(() => ch.events().length >= 2000, 'more events');
  await source.stop();
  const bodies = ch.bodies();
  assert.deepEqual(bodies, range(0, bodies.length));
});

test('FULL: the same numbers are re-emitted after retryAfterMs, no gap, no duplicate', async () => {
  const ch = new FakeChannel().failFull(5, 10);
  const { ctx, source } = setup({ batchSize: 7, totalEvents: 200 }, ch);
  await source.start();
  await waitUntil(() => ch.events().length === 200, 'every event');
  await source.stop();
  assert.deepEqual(ch.bodies(), range(0, 200));
  assert.ok(ctx.counters.get('ChannelWriteFail') >= 5);
  assert.equal(ctx.counters.get('EventReceivedCount'), 200);
});

test('stop() ends generation; everything emitted before is committed and contiguous', async () => {
  const { ch, source } = setup({ batchSize: 50 });
  await source.start();
  await waitUntil(() => ch.events().length >= 1000, 'some events');
  await source.stop();
  const calls = ch.calls;
  await sleep(20);
  assert.equal(ch.calls, calls, 'nothing is emitted after stop() resolved');
  const bodies = ch.bodies();
  assert.deepEqual(bodies, range(0, bodies.length));
});
