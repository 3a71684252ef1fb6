import assert from 'node:assert/strict';
import { test } from 'node:test';
import { health } from './health.js';
import { agent, worker } from './test-fixtures.js';

test('200 while the agent runs, also during an ordinary quick restart of a worker', () => {
  assert.deepEqual(health(agent()), {
    ok: true,
    status: 200,
    body: { status: 'ok', agent: 'a1', state: 'running', reason: null, failed: [], restarting: [] },
  });
  const restarting = health(agent({ workers: [worker({ id: 'sink:k1', state: 'backoff', pid: null }), worker({ id: 'source:r1', state: 'starting' }), worker({ id: 'channel:c1' })] }));
  assert.equal(restarting.status, 200);
  assert.deepEqual(restarting.body.restarting, ['sink:k1', 'source:r1']);
});

test('503 while the agent starts, stops or has stopped', () => {
  for (const state of ['starting', 'stopping', 'stopped'] as const) {
    const h = health(agent({ state }));
    assert.equal(h.ok, false);
    assert.equal(h.status, 503);
    assert.equal(h.body.status, 'unavailable');
    assert.equal(h.body.reason, `agent a1 is ${state}`);
  }
});

test('503 naming every failed worker and why', () => {
  const h = health(
    agent({
      workers: [
        worker({ id: 'channel:c1' }),
        worker({ id: 'sink:g1', state: 'failed', pid: null, failure: 'exited 20 times within 600 s (last: code 1)' }),
        worker({ id: 'source:r1', state: 'failed', pid: null, failure: null }),
      ],
    }),
  );
  assert.equal(h.status, 503);
  assert.deepEqual(h.body.failed, [
    { worker: 'sink:g1', failure: 'exited 20 times within 600 s (last: code 1)' },
    { worker: 'source:r1', failure: 'over its restart limit' },
  ]);
  assert.equal(h.body.reason, 'worker sink:g1 failed: exited 20 times within 600 s (last: code 1); worker source:r1 failed: over its restart limit');
  const stopping = health(agent({ state: 'stopping', workers: [worker({ id: 'sink:g1', state: 'failed', failure: 'x' })] }));
  assert.equal(stopping.body.reason, 'agent a1 is stopping; worker sink:g1 failed: x');
});
