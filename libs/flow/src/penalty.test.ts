import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SinkPenalty, penaltyMs } from './penalty.js';

test('a penalty is min(cap, 1000 × 2^fails) shortened by at most 20%, never longer than the cap', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 0, max: 10_000_000 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (fails, cap, r) => {
      const nominal = Math.min(cap, 1000 * 2 ** Math.min(fails, 30));
      const ms = penaltyMs(fails, cap, () => r);
      assert.ok(ms <= nominal && ms <= cap, `${ms} > ${nominal}`);
      assert.ok(ms >= nominal * 0.8, `${ms} < 80% of ${nominal}`);
    }),
  );
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((f) => penaltyMs(f, 30_000, () => 0)), [2000, 4000, 8000, 16_000, 30_000, 30_000]);
});

test('a sink penalty holds until readyAt and a success clears it', () => {
  const p = new SinkPenalty();
  assert.equal(p.down, false);
  assert.equal(p.fail(100, 30_000, () => 0), 2000);
  assert.equal(p.down, true);
  assert.equal(p.isPenalised(2099), true);
  assert.equal(p.isPenalised(2100), false);
  assert.equal(p.fail(2100, 30_000, () => 0), 4000);
  p.succeed();
  assert.equal(p.down, false);
  assert.equal(p.isPenalised(2100), false);
  assert.equal(p.fail(3000, 30_000, () => 0), 2000);
});
