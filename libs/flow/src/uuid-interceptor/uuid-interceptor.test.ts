import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configFor, events, fakeContext } from '../test-support.js';
import { uuidInterceptor } from './uuid-interceptor.js';

const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('each event gets its own version-4 UUID in "id"; an existing id is kept by default', () => {
  const i = uuidInterceptor.create(configFor(uuidInterceptor, {}), fakeContext());
  const out = i.intercept(events({}, {}, { id: 'mine' }));
  assert.match(out[0]!.headers['id']!, V4);
  assert.match(out[1]!.headers['id']!, V4);
  assert.notEqual(out[0]!.headers['id'], out[1]!.headers['id']);
  assert.equal(out[2]!.headers['id'], 'mine');
});

test('headerName, prefix, and preserveExisting = false', () => {
  const i = uuidInterceptor.create(configFor(uuidInterceptor, { headerName: 'eventId', prefix: 'web-', preserveExisting: false }), fakeContext());
  const [e] = i.intercept(events({ eventId: 'old' }));
  assert.match(e!.headers['eventId']!, /^web-[0-9a-f-]{36}$/);
});
