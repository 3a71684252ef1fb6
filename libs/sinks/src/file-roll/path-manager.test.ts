import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PathManager, rollTimeStamp } from './path-manager.js';

test('default: <prefix><seriesStartMs>-<n>[.<ext>], n from 1, the series time fixed', () => {
  let now = 1700000000123;
  const paths = new PathManager('default', 'events-', 'log', () => now);
  assert.equal(paths.next(), 'events-1700000000123-1.log');
  now += 60_000;
  assert.equal(paths.next(), 'events-1700000000123-2.log');
  assert.equal(new PathManager('default', '', '', () => 5).next(), '5-1');
});

test('rolltime: <prefix><yyyyMMddHHmmss>-<n>, n restarting when the second changes', () => {
  const t0 = new Date(2024, 0, 2, 3, 4, 5, 100).getTime();
  let now = t0;
  const paths = new PathManager('rolltime', 'p', '', () => now);
  assert.equal(paths.next(), 'p20240102030405-1');
  now = t0 + 500;
  assert.equal(paths.next(), 'p20240102030405-2');
  now = t0 + 1000;
  assert.equal(paths.next(), 'p20240102030406-1');
  assert.equal(rollTimeStamp(new Date(2024, 11, 31, 23, 59, 59)), '20241231235959');
});
