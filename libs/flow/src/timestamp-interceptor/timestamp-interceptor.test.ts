import { test } from 'node:test';
import assert from 'node:assert/strict';
import { timestampInterceptor } from './timestamp-interceptor.js';
import { configFor, events, fakeContext } from '../test-support.js';

test('sets "timestamp" to the current epoch milliseconds, overwriting by default', () => {
  const interceptor = timestampInterceptor.create(configFor(timestampInterceptor, {}), fakeContext());
  const before = Date.now();
  const batch = interceptor.intercept(events({ timestamp: '1' }, {}));
  const after = Date.now();
  for (const e of batch) {
    assert.match(e.headers['timestamp']!, /^\d+$/);
    const t = Number(e.headers['timestamp']);
    assert.ok(t >= before && t <= after, `${t} within [${before}, ${after}]`);
  }
});

test('preserveExisting = true keeps an existing value; headerName picks the header', () => {
  const interceptor = timestampInterceptor.create(configFor(timestampInterceptor, { headerName: 'ts', preserveExisting: true }), fakeContext());
  const batch = interceptor.intercept(events({ ts: '42' }, {}));
  assert.equal(batch[0]!.headers['ts'], '42');
  assert.match(batch[1]!.headers['ts']!, /^\d{13}$/);
  assert.equal(batch[1]!.headers['timestamp'], undefined);
});
