import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blobHandler } from './blob-handler.js';

test('the whole body is one event, its bytes unchanged; its headers are the query parameters, first value first', () => {
  const body = Buffer.from([0x00, 0xff, 0x0a, 0x7b]);
  const result = blobHandler({ body, contentType: 'application/octet-stream', query: new URLSearchParams('a=1&b=two%20words&a=2&__proto__=p') });
  assert.ok(result.ok);
  assert.equal(result.events.length, 1);
  assert.deepEqual(result.events[0]!.body, body);
  assert.deepEqual({ ...result.events[0]!.headers }, { a: '1', b: 'two words', ['__proto__']: 'p' });
  assert.equal(Object.getPrototypeOf(result.events[0]!.headers), Object.prototype);
});

test('an empty body is one empty event', () => {
  const result = blobHandler({ body: Buffer.alloc(0), contentType: undefined, query: new URLSearchParams() });
  assert.ok(result.ok);
  assert.deepEqual(result.events, [{ headers: {}, body: Buffer.alloc(0) }]);
});
