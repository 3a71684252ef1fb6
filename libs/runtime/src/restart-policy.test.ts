import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RestartPolicy } from './restart-policy.js';

const options = { minBackoffMs: 100, maxBackoffMs: 1000, limit: 3, windowMs: 60_000, stableMs: 10_000 };

test('backoff doubles per quick death up to the maximum, each delay in the upper half of its step', () => {
  const policy = new RestartPolicy({ ...options, limit: 100 });
  const caps = [100, 200, 400, 800, 1000, 1000];
  caps.forEach((cap, i) => {
    const delay = policy.onExit(i * 10, 5)!;
    assert.ok(delay >= cap / 2 && delay <= cap, `death ${i + 1}: ${delay} within [${cap / 2}, ${cap}]`);
  });
});

test('a worker that ran for the stable period starts again from the minimum backoff', () => {
  const policy = new RestartPolicy({ ...options, limit: 100 });
  for (let i = 0; i < 4; i++) policy.onExit(i, 5);
  assert.ok(policy.onExit(10, 10_000)! <= 100);
});

test('more than `limit` restarts within the window marks the component failed; outside the window they age out', () => {
  const policy = new RestartPolicy(options);
  assert.notEqual(policy.onExit(0, 5), undefined);
  assert.notEqual(policy.onExit(1, 5), undefined);
  assert.notEqual(policy.onExit(2, 5), undefined);
  assert.equal(policy.onExit(3, 5), undefined, 'the fourth death within the window is over the limit');
  const aged = new RestartPolicy(options);
  for (let i = 0; i < 3; i++) aged.onExit(i, 5);
  assert.notEqual(aged.onExit(60_001, 5), undefined, 'the early deaths left the window');
});

test('reset() (ctl restart, reload) clears the failed state and the backoff', () => {
  const policy = new RestartPolicy(options);
  for (let i = 0; i < 4; i++) policy.onExit(i, 5);
  policy.reset();
  assert.ok(policy.onExit(5, 5)! <= 100);
});
