import assert from 'node:assert/strict';
import { test } from 'node:test';
import { textEvent } from '@sluice/core';
import { configFor, fakeContext } from '../test-support.js';
import { searchReplaceInterceptor } from './search-replace-interceptor.js';

const run = (values: Record<string, unknown>, ...bodies: (string | Buffer)[]) =>
  searchReplaceInterceptor
    .create(configFor(searchReplaceInterceptor, values), fakeContext())
    .intercept(bodies.map((b) => textEvent(b)))
    .map((e) => e.body);

test('replaces every match, with groups; the default replacement deletes', () => {
  assert.deepEqual(run({ searchPattern: '(\\d+)-(\\d+)', replaceString: '$2/$1' }, '1-2 and 30-40').map(String), ['2/1 and 40/30']);
  assert.deepEqual(run({ searchPattern: 'password=\\S+ ?' }, 'user=bob password=hunter2 ok').map(String), ['user=bob ok']);
  assert.deepEqual(run({ searchPattern: 'x' }, 'no match here').map(String), ['no match here']);
});

test('the body is decoded and encoded again with the charset', () => {
  const latin1 = Buffer.from('caf\xe9', 'latin1');
  assert.deepEqual(run({ searchPattern: '\xe9', replaceString: 'e', charset: 'ISO-8859-1' }, latin1), [Buffer.from('cafe')]);
  assert.deepEqual(run({ searchPattern: 'é', replaceString: 'É' }, 'café').map(String), ['cafÉ']);
});

test('a missing searchPattern, an invalid one or an unknown charset is a config error', () => {
  assert.throws(() => configFor(searchReplaceInterceptor, {}), /misses required key searchPattern/);
  assert.throws(() => configFor(searchReplaceInterceptor, { searchPattern: '[' }), /not a valid regular expression/);
  assert.throws(() => configFor(searchReplaceInterceptor, { searchPattern: 'a', charset: 'EBCDIC' }), /charset EBCDIC is not supported/);
});
