import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { decodeBatch, encodeBatch, frameBatch, type ChannelStore, type StoredBatch } from '@sluice/core';

/** A fresh, opened store of the given capacity; `reopen` (durable stores) simulates a restart. */
export interface StoreHarness {
  store: ChannelStore;
  reopen?: () => Promise<ChannelStore>;
  cleanup?: () => Promise<void>;
}

export function numbered(from: number, count: number): StoredBatch {
  const bytes = encodeBatch(Array.from({ length: count }, (_, i) => ({ headers: {}, body: Buffer.from(String(from + i)) })));
  return { bytes, framing: frameBatch(bytes) };
}

export function bodies(batch: Pick<StoredBatch, "bytes"> | undefined): number[] {
  return batch ? decodeBatch(batch.bytes).map((e) => Number(e.body.toString())) : [];
}

/**
 * The contract every channel store passes (STYLE "Contract suites"): visibility after commit,
 * order, splitting, NACK back to the head in order, ACK, duplicates, capacity, and a model-based
 * test against a plain array.
 */
export function describeStoreContract(name: string, make: (capacity: number) => Promise<StoreHarness>): void {
  describe(`${name} store contract`, () => {
    test('committed events come out in order, split to the size asked', async () => {
      const h = await make(100);
      const s = h.store;
      assert.equal(await s.commit('p1', numbered(0, 5)), 'ok');
      assert.equal(await s.commit('p2', numbered(5, 5)), 'ok');
      assert.equal(s.size, 10);
      assert.deepEqual(bodies(await s.take('t1', 3)), [0, 1, 2]);
      assert.deepEqual(bodies(await s.take('t2', 4)), [3, 4, 5, 6]);
      assert.deepEqual(bodies(await s.take('t3', 100)), [7, 8, 9]);
      assert.equal(await s.take('t4', 10), undefined);
      assert.equal(s.size, 10, 'leased events still count until acked');
      for (const t of ['t1', 't2', 't3']) assert.equal(await s.ack(t), 'ok');
      assert.equal(s.size, 0);
      assert.equal(await s.ack('t1'), 'unknown');
      await h.cleanup?.();
    });

    test('NACKed leases return to the head in their original order, whatever the NACK order', async () => {
      const h = await make(100);
      const s = h.store;
      await s.commit('p1', numbered(0, 6));
      const a = await s.take('a', 2);
      const b = await s.take('b', 2);
      assert.deepEqual([bodies(a), bodies(b)], [
        [0, 1],
        [2, 3],
      ]);
      assert.equal(await s.nack('b'), 'ok');
      assert.equal(await s.nack('a'), 'ok');
      assert.deepEqual(bodies(await s.take('c', 100)), [0, 1, 2, 3, 4, 5]);
      assert.equal(await s.nack('zzz'), 'unknown');
      await h.cleanup?.();
    });

    test('a resent commit is a duplicate and stores nothing', async () => {
      const h = await make(100);
      const s = h.store;
      assert.equal(await s.commit('p1', numbered(0, 3)), 'ok');
      assert.equal(await s.commit('p1', numbered(0, 3)), 'duplicate');
      assert.equal(s.size, 3);
      await h.cleanup?.();
    });

    test('a commit that would exceed capacity is refused whole', async () => {
      const h = await make(10);
      const s = h.store;
      assert.equal(await s.commit('p1', numbered(0, 8)), 'ok');
      assert.equal(await s.commit('p2', numbered(8, 3)), 'full');
      assert.equal(s.size, 8);
      assert.deepEqual(bodies(await s.take('t', 100)), [0, 1, 2, 3, 4, 5, 6, 7]);
      await s.ack('t');
      assert.equal(await s.commit('p2', numbered(8, 3)), 'ok', 'room again after the ack');
      await h.cleanup?.();
    });

    test('random operation sequences match a reference queue', async () => {
      type Op = { op: 'commit'; n: number } | { op: 'take'; n: number } | { op: 'ack' } | { op: 'nack'; which: number };
      const opArb: fc.Arbitrary<Op> = fc.oneof(
        fc.record({ op: fc.constant('commit' as const), n: fc.integer({ min: 0, max: 7 }) }),
        fc.record({ op: fc.constant('take' as const), n: fc.integer({ min: 1, max: 9 }) }),
        fc.record({ op: fc.constant('ack' as const) }),
        fc.record({ op: fc.constant('nack' as const), which: fc.nat() }),
      );
      await fc.assert(
        fc.asyncProperty(fc.array(opArb, { maxLength: 40 }), async (ops) => {
          const h = await make(30);
          const s = h.store;
          // Reference: committed events in order, each either queued or in a lease.
          let queued: number[] = [];
          const leases: { tx: string; events: number[] }[] = [];
          let next = 0;
          let tx = 0;
          for (const o of ops) {
            if (o.op === 'commit') {
              const total = queued.length + leases.reduce((n, l) => n + l.events.length, 0);
              const outcome = await s.commit(`p${tx++}`, numbered(next, o.n));
              if (total + o.n > 30) assert.equal(outcome, 'full');
              else {
                assert.equal(outcome, 'ok');
                queued.push(...Array.from({ length: o.n }, (_, i) => next + i));
                next += o.n;
              }
            } else if (o.op === 'take') {
              const id = `t${tx++}`;
              const got = bodies(await s.take(id, o.n));
              assert.deepEqual(got, queued.slice(0, o.n));
              queued = queued.slice(got.length);
              if (got.length > 0) leases.push({ tx: id, events: got });
            } else if (leases.length > 0) {
              const l = o.op === 'ack' ? leases.shift()! : leases.splice(o.which % leases.length, 1)[0]!;
              if (o.op === 'ack') assert.equal(await s.ack(l.tx), 'ok');
              else {
                assert.equal(await s.nack(l.tx), 'ok');
                queued = [...l.events, ...queued].sort((x, y) => x - y);
              }
            }
            assert.equal(s.size, queued.length + leases.reduce((n, l) => n + l.events.length, 0));
          }
          await h.cleanup?.();
        }),
        { numRuns: 150 },
      );
    });
  });
}
