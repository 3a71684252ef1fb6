import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as avro from 'avsc';
import fc from 'fast-check';
import { AvroReader, lengthSize, writeLength } from './avro-binary.js';
import { SluiceError } from './errors.js';

const LONG = avro.Type.forSchema('long');
const STRING = avro.Type.forSchema('string');
const BYTES = avro.Type.forSchema('bytes');

const malformedBatch = { code: 'SLUICE_ERR_MALFORMED_BATCH' };

test("long reads avsc's encoding of every integer up to 2^52, one value after another", () => {
  const safe = fc.oneof(fc.integer({ min: -100, max: 100 }), fc.integer(), fc.integer({ min: -(2 ** 52), max: 2 ** 52 }));
  fc.assert(
    fc.property(fc.array(safe, { minLength: 1, maxLength: 20 }), (values) => {
      const bytes = Buffer.concat(values.map((v) => LONG.toBuffer(v)));
      const r = new AvroReader(bytes);
      assert.deepEqual(
        values.map(() => r.long()),
        values,
      );
      assert.equal(r.remaining, 0);
    }),
  );
});

test("writeLength writes avsc's encoding of a non-negative length, in lengthSize bytes", () => {
  fc.assert(
    fc.property(fc.oneof(fc.nat(300), fc.nat(), fc.nat(2 ** 52)), (n) => {
      const buf = Buffer.alloc(10);
      const end = writeLength(buf, 0, n);
      assert.deepEqual(buf.subarray(0, end), LONG.toBuffer(n));
      assert.equal(lengthSize(n), end);
    }),
  );
});

test("bytes and string read avsc's encodings as views and text", () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme' }), fc.uint8Array({ maxLength: 300 }), (s, b) => {
      const bytes = Buffer.concat([STRING.toBuffer(s), BYTES.toBuffer(Buffer.from(b)), STRING.toBuffer(s)]);
      const r = new AvroReader(bytes);
      assert.equal(r.string(), s);
      const view = r.bytes();
      assert.deepEqual(view, Buffer.from(b));
      assert.equal(view.buffer, bytes.buffer, 'a view of the input');
      r.skipBytes();
      assert.equal(r.remaining, 0);
    }),
  );
});

test('a varint of more than 10 bytes is refused; one of 10 is read', () => {
  const ten = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  const r = new AvroReader(ten);
  assert.equal(Math.abs(r.long()), 2 ** 63);
  assert.equal(r.remaining, 0);
  const eleven = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  assert.throws(() => new AvroReader(eleven).long(), { ...malformedBatch, message: /varint too long/ });
  // Endless continuation bytes stop at the tenth.
  assert.throws(() => new AvroReader(Buffer.alloc(1000, 0x80)).long(), { ...malformedBatch, message: /varint too long/ });
});

test('a truncated varint, length or fixed is refused at every cut', () => {
  const value = Buffer.concat([LONG.toBuffer(2 ** 40), STRING.toBuffer('héllo'), Buffer.from('0123456789abcdef')]);
  for (let len = 0; len < value.length; len++) {
    const r = new AvroReader(value.subarray(0, len));
    assert.throws(() => {
      r.long();
      r.string();
      r.fixed(16);
    }, malformedBatch);
  }
  const r = new AvroReader(value);
  assert.equal(r.long(), 2 ** 40);
  assert.equal(r.string(), 'héllo');
  assert.equal(r.fixed(16).toString(), '0123456789abcdef');
});

test('negative lengths and lengths past the end are refused before anything is read', () => {
  for (const claim of [-1, -(2 ** 40), 4, 2 ** 31, 2 ** 52]) {
    const bytes = Buffer.concat([LONG.toBuffer(claim), Buffer.from('abc')]);
    assert.throws(() => new AvroReader(bytes).bytes(), { ...malformedBatch, message: /length/ });
    assert.throws(() => new AvroReader(bytes).string(), malformedBatch);
    assert.throws(() => new AvroReader(bytes).skipBytes(), malformedBatch);
  }
});

test('a block count the bytes left cannot hold is refused; a negative count skips its byte size', () => {
  const bytes = Buffer.concat([LONG.toBuffer(2 ** 40), Buffer.alloc(8)]);
  assert.throws(() => new AvroReader(bytes).blockCount(2, 'entries'), { ...malformedBatch, message: /1099511627776 entries claimed in 8 bytes/ });
  const negative = Buffer.concat([LONG.toBuffer(-3), LONG.toBuffer(6), Buffer.alloc(6)]);
  const r = new AvroReader(negative);
  assert.equal(r.blockCount(2), 3);
  assert.equal(r.remaining, 6);
});

test('errors come from the factory the reader was given', () => {
  const r = new AvroReader(Buffer.from([0x80]), 0, (why) => new SluiceError('SLUICE_ERR_PROTOCOL', why));
  assert.throws(() => r.long('the count'), { code: 'SLUICE_ERR_PROTOCOL', message: 'truncated the count' });
});
