import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SluiceError } from '@sluice/core';
import { seqSource } from './seq-source.js';
import { sequenceBatch } from './sequence-batch.js';
import { configFor, FAKE_WINDOW, FakeChannel, fakeSourceContext, sleep } from '../test-support.js';
import { waitUntil } from '@sluice/testkit';

function setup(values: Record<string, unknown>, ch = new FakeChannel()) {
  const ctx = fakeSourceContext(ch);
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
  await waitUntil(() => ch.outstanding === 0, 'the commits');
  assert.deepEqual(ch.bodies(), range(0, 25));
  assert.deepEqual(
    ch.batches.map((b) => b.length),
    [10, 10, 5],
  );
  assert.equal(ch.calls, 3, 'nothing emitted past totalEvents');
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

test('emits only while the runtime is writable: a held channel stops generation', async () => {
  const ch = new FakeChannel();
  ch.hold();
  const { source } = setup({ batchSize: 100 }, ch);
  await source.start();
  try {
    await waitUntil(() => ch.waiting === FAKE_WINDOW, `${FAKE_WINDOW} emits`);
    await sleep(20);
    assert.equal(ch.calls, FAKE_WINDOW);
  } finally {
    ch.release();
  }
  await waitUntil(() => ch.events().length >= 2000, 'more events');
  await source.stop();
  const bodies = ch.bodies();
  assert.deepEqual(bodies, range(0, bodies.length));
});

test('a batch the runtime rejects is logged at error with its event count; the next ones follow', async () => {
  const ch = new FakeChannel().failWith(new SluiceError('SLUICE_ERR_BATCH_TOO_LARGE', 'too large'));
  const { ctx, source } = setup({ batchSize: 7, totalEvents: 21 }, ch);
  await source.start();
  await waitUntil(() => ch.calls === 3 && ch.outstanding === 0, 'three emits settled');
  await source.stop();
  assert.deepEqual(ch.bodies(), range(7, 21));
  const lost = ctx.records.filter((r) => r.level === 50);
  assert.equal(lost.length, 1);
  assert.equal(lost[0]!['events'], 7);
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
