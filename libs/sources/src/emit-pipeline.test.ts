import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Batch, SluiceError, textEvent, type EmitBatch } from '@sluice/core';
import { EmitPipeline } from './emit-pipeline.js';
import { FakeChannel, fakeSourceContext, waitUntil } from './test-support.js';

function batch(from: number, n: number) {
  return Array.from({ length: n }, (_, i) => textEvent(String(from + i)));
}

function pipeline(ch: FakeChannel, maxInFlight = 4) {
  const ctx = fakeSourceContext(ch.emit);
  const p = new EmitPipeline({ ...ctx, maxInFlight, errorBackoffMs: 5 });
  return { ctx, p };
}

test('emits batches in order and counts them', async () => {
  const ch = new FakeChannel();
  const { ctx, p } = pipeline(ch);
  for (let i = 0; i < 10; i++) p.push(batch(i * 3, 3));
  await p.drained();
  assert.deepEqual(ch.bodies(), Array.from({ length: 30 }, (_, i) => String(i)));
  assert.equal(ctx.counters.get('EventReceivedCount'), 30);
  assert.equal(ctx.counters.get('EventAcceptedCount'), 30);
  assert.equal(ctx.counters.get('AppendBatchAcceptedCount'), 10);
  assert.equal(p.backlog, 0);
});

test('keeps at most maxInFlight emits outstanding', async () => {
  const ch = new FakeChannel();
  ch.hold();
  const { p } = pipeline(ch, 3);
  for (let i = 0; i < 8; i++) p.push(batch(i, 1));
  await waitUntil(() => ch.waiting === 3, 'three held emits');
  assert.equal(ch.calls, 3);
  assert.equal(p.backlog, 8);
  ch.release();
  await p.drained();
  assert.equal(ch.batches.length, 8);
});

test('an encoded batch goes to emitBatch, in order with event batches, FULL retries included', async () => {
  const ch = new FakeChannel().failFull(2, 5);
  const ctx = fakeSourceContext(ch.emit);
  const viaEmitBatch: number[] = [];
  const emitBatch: EmitBatch = (b, options) => {
    viaEmitBatch.push(b.count);
    return ctx.emitBatch(b, options);
  };
  const p = new EmitPipeline({ ...ctx, emitBatch, maxInFlight: 2 });
  p.push(batch(0, 2));
  p.push(Batch.of(batch(2, 3)));
  p.push(batch(5, 1));
  p.push(Batch.of(batch(6, 5)));
  await p.drained();
  assert.deepEqual(ch.bodies(), Array.from({ length: 11 }, (_, i) => String(i)));
  assert.deepEqual([...new Set(viaEmitBatch)].sort(), [3, 5], 'the encoded batches, and only they, went to emitBatch');
  assert.equal(ctx.counters.get('EventReceivedCount'), 11);
  assert.equal(ctx.counters.get('EventAcceptedCount'), 11);
  assert.equal(ctx.counters.get('AppendBatchAcceptedCount'), 4);
});

test('without emitBatch an encoded batch is emitted as its events; an empty one is not emitted', async () => {
  const ch = new FakeChannel();
  const ctx = fakeSourceContext(ch.emit);
  const p = new EmitPipeline({ emit: ctx.emit, logger: ctx.logger, counters: ctx.counters, maxInFlight: 2 });
  p.push(Batch.of([]));
  p.push(Batch.of(batch(0, 2)));
  await p.drained();
  assert.equal(ch.calls, 1);
  assert.deepEqual(ch.bodies(), ['0', '1']);
  assert.equal(ctx.counters.get('AppendBatchReceivedCount'), 1);
});

test('a FULL batch is retried after retryAfterMs with nothing lost or duplicated', async () => {
  const ch = new FakeChannel().failFull(3, 10);
  const { ctx, p } = pipeline(ch, 1);
  for (let i = 0; i < 5; i++) p.push(batch(i * 2, 2));
  await p.drained();
  assert.deepEqual(ch.bodies(), Array.from({ length: 10 }, (_, i) => String(i)));
  assert.equal(ctx.counters.get('ChannelWriteFail'), 3);
  assert.equal(ctx.counters.get('EventReceivedCount'), 10, 'a retried batch is received once');
  assert.equal(ctx.counters.get('EventAcceptedCount'), 10);
  assert.equal(ctx.records.filter((r) => r.msg === 'channel full; pausing input').length, 1, 'one warning per episode');
});

test('failed batches go back to the head in order when several were in flight', async () => {
  const ch = new FakeChannel();
  ch.hold();
  const { p } = pipeline(ch, 4);
  for (let i = 0; i < 6; i++) p.push(batch(i, 1));
  await waitUntil(() => ch.waiting === 4, 'four held emits');
  ch.failFull(4, 5); // all four in flight fail
  ch.release();
  await p.drained();
  assert.deepEqual(ch.bodies(), ['0', '1', '2', '3', '4', '5']);
});

test('other errors are retried with a backoff and logged with err', async () => {
  const ch = new FakeChannel().failWith(new SluiceError('SLUICE_ERR_TIMEOUT', 'no answer', { retriable: true }));
  const { ctx, p } = pipeline(ch, 2);
  p.push(batch(0, 2));
  p.push(batch(2, 2));
  await p.drained();
  assert.deepEqual(ch.bodies(), ['0', '1', '2', '3']);
  const warn = ctx.records.find((r) => r.msg === 'emit failed; retrying');
  assert.ok(warn);
  assert.equal(warn.level, 40);
  assert.equal((warn['err'] as { message: string }).message, 'no answer');
});

test('close() emits everything queued at once, without waiting for commits', async () => {
  const ch = new FakeChannel();
  ch.hold();
  const { p } = pipeline(ch, 1);
  for (let i = 0; i < 5; i++) p.push(batch(i, 1));
  await waitUntil(() => ch.waiting === 1, 'one emit');
  await p.close();
  assert.equal(ch.calls, 5, 'the window no longer applies');
  ch.release();
  await p.drained();
  assert.deepEqual(ch.bodies(), ['0', '1', '2', '3', '4']);
});

test('close() cuts a retry wait short: one last attempt, then failures are reported lost', async () => {
  const ch = new FakeChannel().failFull(1, 60_000);
  const { ctx, p } = pipeline(ch, 1);
  p.push(batch(0, 3));
  p.push(batch(3, 2));
  await waitUntil(() => p.retrying, 'a retry pause');
  ch.failFull(1, 60_000);
  await p.close();
  assert.equal(ch.calls, 3, 'both batches were re-emitted at once');
  await p.drained();
  assert.deepEqual(ch.bodies(), []);
  const lost = ctx.records.filter((r) => r.msg.includes('lost'));
  assert.deepEqual(
    lost.map((r) => [r.level, r['events']]),
    [
      [50, 3],
      [50, 2],
    ],
  );
});
