import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configFor, events, fakeContext } from '../test-support.js';
import { removeHeaderInterceptor } from './remove-header-interceptor.js';

const run = (values: Record<string, unknown>) =>
  Object.keys(
    removeHeaderInterceptor
      .create(configFor(removeHeaderInterceptor, values), fakeContext())
      .intercept(events({ host: 'a', user: 'b', 'x-trace': 'c', 'x-span': 'd', xray: 'e', timestamp: '1' }))[0]!.headers,
  );

test('removes by name, from a list, and by a pattern matching the whole name', () => {
  assert.deepEqual(run({ withName: 'user' }), ['host', 'x-trace', 'x-span', 'xray', 'timestamp']);
  assert.deepEqual(run({ fromList: 'host , timestamp,nothere' }), ['user', 'x-trace', 'x-span', 'xray']);
  assert.deepEqual(run({ fromList: 'host;user', fromListSeparator: ';' }), ['x-trace', 'x-span', 'xray', 'timestamp']);
  assert.deepEqual(run({ matching: 'x-.*' }), ['host', 'user', 'xray', 'timestamp']);
  assert.deepEqual(run({ matching: 'x' }), ['host', 'user', 'x-trace', 'x-span', 'xray', 'timestamp'], 'a partial match removes nothing');
  assert.deepEqual(run({ withName: 'host', fromList: 'user', matching: 'x.*' }), ['timestamp']);
});

test('with no key set nothing is removed; an invalid pattern is a config error', () => {
  assert.equal(run({}).length, 6);
  assert.throws(() => configFor(removeHeaderInterceptor, { matching: '(' }), /matching "\(": not a valid regular expression/);
});
