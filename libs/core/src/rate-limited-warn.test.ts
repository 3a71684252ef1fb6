import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RateLimitedWarn } from './rate-limited-warn.js';

test('the first report warns, the rest within the interval are debug, the next after it warns with their count', () => {
  let now = 1_000;
  const warns = new RateLimitedWarn({ intervalMs: 60_000, now: () => now });
  assert.deepEqual(warns.report('10.0.0.1'), { level: 'warn', suppressed: 0 });
  for (let i = 0; i < 999; i++) assert.deepEqual(warns.report('10.0.0.1'), { level: 'debug' });
  now += 59_999;
  assert.deepEqual(warns.report('10.0.0.1'), { level: 'debug' });
  now += 1;
  assert.deepEqual(warns.report('10.0.0.1'), { level: 'warn', suppressed: 1000 });
  assert.deepEqual(warns.report('10.0.0.1'), { level: 'debug' });
  now += 120_000;
  assert.deepEqual(warns.report('10.0.0.1'), { level: 'warn', suppressed: 1 });
  now += 60_000;
  assert.deepEqual(warns.report('10.0.0.1'), { level: 'warn', suppressed: 0 });
});

test('each key has its own interval and count', () => {
  let now = 0;
  const warns = new RateLimitedWarn({ intervalMs: 1_000, now: () => now });
  assert.equal(warns.report('a').level, 'warn');
  assert.equal(warns.report('b').level, 'warn');
  assert.equal(warns.report('a').level, 'debug');
  now = 1_000;
  assert.deepEqual(warns.report('b'), { level: 'warn', suppressed: 0 });
  assert.deepEqual(warns.report('a'), { level: 'warn', suppressed: 1 });
});

test('past maxKeys every key is forgotten and warns once more', () => {
  const warns = new RateLimitedWarn({ maxKeys: 2, now: () => 0 });
  assert.equal(warns.report('a').level, 'warn');
  assert.equal(warns.report('b').level, 'warn');
  assert.equal(warns.report('a').level, 'debug');
  assert.equal(warns.report('c').level, 'warn');
  assert.equal(warns.report('a').level, 'warn');
  assert.equal(warns.report('c').level, 'debug');
});
