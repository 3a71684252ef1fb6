import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Entry, QueueState } from './queue-state.js';

test('marking acknowledged ranges counts each event once and leaves the complement live', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 40 }),
      fc.array(fc.tuple(fc.nat(45), fc.nat(45)), { maxLength: 12 }),
      (count, marks) => {
        const e = new Entry(0, 1, 40, 100, 30, count);
        const acked = new Array<boolean>(count).fill(false);
        for (const [a, b] of marks) {
          const [from, to] = a <= b ? [a, b] : [b, a];
          let fresh = 0;
          for (let i = from; i < Math.min(to, count); i++) {
            if (!acked[i]) {
              acked[i] = true;
              fresh++;
            }
          }
          assert.equal(e.markAcked(from, to), fresh);
        }
        assert.equal(e.live, acked.filter((x) => !x).length);
        const live: number[] = [];
        for (const [from, to] of e.liveRanges()) for (let i = from; i < to; i++) live.push(i);
        assert.deepEqual(live, acked.flatMap((x, i) => (x ? [] : [i])));
      },
    ),
  );
});

test('a nacked piece rejoins the rest of its batch, so the batch is handed out whole again', () => {
  const q = new QueueState();
  const e = new Entry(7, 1, 40, 100, 30, 10);
  q.add(e);
  const lease = q.take('t', 4)!;
  assert.deepEqual(lease.ranges.map((r) => [r.from, r.to]), [[0, 4]]);
  assert.equal(q.nack('t'), true);
  assert.deepEqual(q.queuedRanges().map((r) => [r.entry.seq, r.from, r.to]), [[7, 0, 10]]);
  assert.equal(q.queued, 10);
  assert.equal(q.size, 10);
});

test('replayed acknowledgements and rebuild keep only live events, in put order', () => {
  const q = new QueueState();
  for (const seq of [5, 2, 9]) q.restore(new Entry(seq, 1, 40, 100, 30, 4));
  assert.equal(q.replayAck({ putSeq: 2, from: 0, to: 4 })?.seq, 2);
  assert.equal(q.replayAck({ putSeq: 9, from: 1, to: 3 }), undefined);
  assert.equal(q.replayAck({ putSeq: 42, from: 0, to: 1 }), undefined, 'an ACK of a batch long gone is ignored');
  q.rebuildQueue();
  assert.deepEqual(q.queuedRanges().map((r) => [r.entry.seq, r.from, r.to]), [
    [5, 0, 4],
    [9, 0, 1],
    [9, 3, 4],
  ]);
  assert.equal(q.size, 6);
});
