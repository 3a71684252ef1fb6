import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { bodies, numbered } from '../testing/store-contract.js';
import type { CrashableFileStore } from '../testing/crashable-file-store.js';
import { makeStore, tempDir, testOptions } from '../testing/file-fixtures.js';

const roots: string[] = [];
after(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

type Op =
  | { op: 'commit'; n: number }
  | { op: 'burst'; sizes: number[] }
  | { op: 'take'; n: number }
  | { op: 'ack'; which: number }
  | { op: 'nack'; which: number }
  | { op: 'resend'; which: number }
  | { op: 'checkpoint' }
  | { op: 'reopen' }
  | { op: 'crash'; dropCheckpoint: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('commit' as const), n: fc.integer({ min: 0, max: 7 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('burst' as const), sizes: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 2, maxLength: 5 }) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('take' as const), n: fc.integer({ min: 1, max: 12 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('ack' as const), which: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('nack' as const), which: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('resend' as const), which: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('checkpoint' as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('reopen' as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('crash' as const), dropCheckpoint: fc.boolean() }) },
);

const CAPACITY = 30;

test('random commit/take/ack/nack/checkpoint/reopen/crash sequences match a reference queue', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { maxLength: 45 }), fc.boolean(), fc.boolean(), async (ops, twoDirs, noCache) => {
      const root = tempDir();
      roots.push(root);
      const dirs = twoDirs ? [path.join(root, 'd1'), path.join(root, 'd2')] : [path.join(root, 'd1')];
      // Tiny segments so that rolls and deletions happen within a few operations.
      const options = testOptions(root, {
        capacity: CAPACITY,
        dataDirs: dirs,
        maxFileSize: 400,
        readCacheBytes: noCache ? 0 : undefined, // without a cache every take reads the log back
        createMissing: [path.join(root, 'checkpoint'), ...dirs],
      });
      let store: CrashableFileStore = makeStore(options).store;
      await store.open();
      // Reference: committed, unacknowledged events in commit order, each queued or leased.
      let queued: number[] = [];
      let leases: { tx: string; events: number[] }[] = [];
      const committedTx: string[] = [];
      let next = 0;
      let tx = 0;
      const total = () => queued.length + leases.reduce((n, l) => n + l.events.length, 0);
      const commitOne = (n: number) => {
        const id = `p${tx++}`;
        const expectFull = total() + n > CAPACITY;
        const first = next;
        if (!expectFull) {
          queued.push(...Array.from({ length: n }, (_, i) => first + i));
          next += n;
          committedTx.push(id);
        }
        return { id, promise: store.commit(id, numbered(first, n)), expect: expectFull ? 'full' : 'ok' };
      };
      try {
        for (const o of ops) {
          switch (o.op) {
            case 'commit': {
              const c = commitOne(o.n);
              assert.equal(await c.promise, c.expect);
              break;
            }
            case 'burst': {
              // Concurrent commits: each decided at call time, resolved in call order.
              const calls = o.sizes.map((n) => commitOne(n));
              const order: string[] = [];
              const results = await Promise.all(calls.map((c) => c.promise.then((r) => (order.push(c.id), r))));
              assert.deepEqual(results, calls.map((c) => c.expect));
              assert.deepEqual(order, calls.map((c) => c.id), 'commits resolve in call order');
              break;
            }
            case 'take': {
              const id = `t${tx++}`;
              const got = bodies(await store.take(id, o.n));
              assert.deepEqual(got, queued.slice(0, o.n));
              queued = queued.slice(got.length);
              if (got.length > 0) leases.push({ tx: id, events: got });
              break;
            }
            case 'ack':
            case 'nack': {
              if (leases.length === 0) break;
              const [l] = leases.splice(o.which % leases.length, 1);
              if (o.op === 'ack') assert.equal(await store.ack(l!.tx), 'ok');
              else {
                assert.equal(await store.nack(l!.tx), 'ok');
                queued = [...l!.events, ...queued].sort((x, y) => x - y);
              }
              break;
            }
            case 'resend': {
              if (committedTx.length === 0) break;
              assert.equal(await store.commit(committedTx[o.which % committedTx.length]!, numbered(999, 1)), 'duplicate');
              break;
            }
            case 'checkpoint':
              await store.checkpoint();
              break;
            case 'reopen':
            case 'crash': {
              if (o.op === 'reopen') await store.close();
              else {
                await store.simulateCrash();
                if (o.dropCheckpoint) fs.rmSync(path.join(options.checkpointDir, 'checkpoint'), { force: true });
              }
              store = makeStore(options).store;
              await store.open();
              // Leases are not durable: every unacknowledged event is queued again, in order.
              queued = [...queued, ...leases.flatMap((l) => l.events)].sort((x, y) => x - y);
              leases = [];
              break;
            }
          }
          assert.equal(store.size, total());
        }
        // Everything left comes out in order.
        const rest = bodies(await store.take('final', 1000));
        assert.deepEqual(rest, queued);
      } finally {
        await store.close();
      }
    }),
    { numRuns: 60 },
  );
});
