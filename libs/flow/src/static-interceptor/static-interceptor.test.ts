import { test } from 'node:test';
import assert from 'node:assert/strict';
import { staticInterceptor } from './static-interceptor.js';
import { configFor, events, fakeContext } from '../test-support.js';

test('adds key=value (defaults "key"/"value") and returns the same array', () => {
  const interceptor = staticInterceptor.create(configFor(staticInterceptor, {}), fakeContext());
  const batch = events({}, { other: 'x' });
  assert.equal(interceptor.intercept(batch), batch);
  assert.deepEqual(
    batch.map((e) => e.headers),
    [{ key: 'value' }, { other: 'x', key: 'value' }],
  );
});

test('preserveExisting = true (the default) keeps a header already set', () => {
  const interceptor = staticInterceptor.create(configFor(staticInterceptor, { key: 'dc', value: 'paris' }), fakeContext());
  const batch = interceptor.intercept(events({ dc: 'london' }, {}));
  assert.deepEqual(
    batch.map((e) => e.headers['dc']),
    ['london', 'paris'],
  );
});

test('preserveExisting = false overwrites', () => {
  const interceptor = staticInterceptor.create(configFor(staticInterceptor, { key: 'dc', value: 'paris', preserveExisting: false }), fakeContext());
  assert.deepEqual(
    interceptor.intercept(events({ dc: 'london' })).map((e) => e.headers['dc']),
    ['paris'],
  );
});

test('a header named like an Object.prototype member is still added', () => {
  const interceptor = staticInterceptor.create(configFor(staticInterceptor, { key: 'toString', value: 'v' }), fakeContext());
  assert.deepEqual(interceptor.intercept(events({}))[0]!.headers, { toString: 'v' });
  const proto = staticInterceptor.create(configFor(staticInterceptor, { key: '__proto__', value: 'v' }), fakeContext());
  const [event] = proto.intercept(events({}));
  assert.deepEqual(Object.entries(event!.headers), [['__proto__', 'v']]);
});
