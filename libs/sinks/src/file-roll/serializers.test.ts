import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeBatch, SluiceError, type SluiceEvent } from '@sluice/core';
import { headerAndTextPayload, textPayload } from './serializers.js';
import { takenBatch } from '../test-support.js';

const eventArb: fc.Arbitrary<SluiceEvent> = fc.record({
  headers: fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
  body: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
});

test('textPayload extracts every body, in order, from the encoded batch', () => {
  fc.assert(
    fc.property(fc.array(eventArb, { maxLength: 40 }), fc.boolean(), (events, newline) => {
      const expected = Buffer.concat(events.flatMap((e) => (newline ? [e.body, Buffer.from('\n')] : [e.body])));
      const bytes = encodeBatch(events);
      assert.deepEqual(textPayload(bytes, newline), expected);
      // Built in a reused, larger buffer holding an earlier batch's leftovers: the same bytes.
      assert.deepEqual(Buffer.from(textPayload(bytes, newline, Buffer.alloc(bytes.length + 7, 0xaa))), expected);
    }),
  );
});

test('textPayload reads arrays written in several blocks', () => {
  const a = encodeBatch([{ headers: { h: '1' }, body: Buffer.from('one') }]);
  const b = encodeBatch([
    { headers: {}, body: Buffer.from('two') },
    { headers: {}, body: Buffer.from('three') },
  ]);
  const twoBlocks = Buffer.concat([a.subarray(0, a.length - 1), b]);
  assert.equal(textPayload(twoBlocks, true).toString(), 'one\ntwo\nthree\n');
});

test('both serializers reject bytes that are not a batch', () => {
  for (const bad of [Buffer.from([0x02]), Buffer.from([0x02, 0x00, 0x10, 0x41]), Buffer.from([0x00, 0x00])]) {
    for (const serialize of [textPayload, headerAndTextPayload]) {
      assert.throws(
        () => serialize(bad, true),
        (err: unknown) => err instanceof SluiceError && err.code === 'SLUICE_ERR_MALFORMED_BATCH',
      );
    }
  }
});

test('header_and_text writes Map.toString headers, a space, the body', () => {
  const batch = takenBatch([
    { headers: { a: '1', b: 'x y' }, body: Buffer.from('first') },
    { headers: {}, body: Buffer.from('second') },
  ]);
  assert.equal(headerAndTextPayload(batch.bytes, true).toString(), '{a=1, b=x y} first\n{} second\n');
  assert.equal(headerAndTextPayload(batch.bytes, false).toString(), '{a=1, b=x y} first{} second');
});
