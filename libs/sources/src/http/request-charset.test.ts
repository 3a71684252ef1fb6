import assert from 'node:assert/strict';
import { test } from 'node:test';
import { charsetParameter, decodeText, encodeText, jsonCharset } from './request-charset.js';

test('the charset parameter of a Content-Type, quoted or not, in any case', () => {
  assert.equal(charsetParameter(undefined), undefined);
  assert.equal(charsetParameter('application/json'), undefined);
  assert.equal(charsetParameter('application/json; Charset="UTF-16"'), 'UTF-16');
  assert.equal(charsetParameter('application/json;boundary=x; charset=utf-8 '), 'utf-8');
  assert.equal(jsonCharset(' utf8 '), 'UTF-8');
  assert.equal(jsonCharset('UTF-32le'), 'UTF-32LE');
  assert.equal(jsonCharset('latin1'), undefined);
  assert.equal(jsonCharset('__proto__'), undefined);
  assert.equal(jsonCharset(''), undefined);
});

test('UTF-16 and UTF-32 read a byte order mark and are big-endian without one', () => {
  const text = 'aé😀';
  const le = Buffer.from(text, 'utf16le');
  const be = Buffer.from(le).swap16();
  assert.equal(decodeText(be, 'UTF-16'), text);
  assert.equal(decodeText(Buffer.concat([Buffer.from([0xff, 0xfe]), le]), 'UTF-16'), text);
  assert.equal(decodeText(Buffer.concat([Buffer.from([0xfe, 0xff]), be]), 'UTF-16'), text);
  assert.equal(decodeText(le, 'UTF-16LE'), text);
  const utf32be = encodeText(text, 'UTF-32BE');
  assert.equal(utf32be.length, 12);
  assert.equal(decodeText(utf32be, 'UTF-32'), text);
  assert.equal(decodeText(Buffer.concat([Buffer.from([0xff, 0xfe, 0, 0]), encodeText(text, 'UTF-32LE')]), 'UTF-32'), text);
  assert.equal(encodeText(text, 'UTF-32').readUInt32BE(8), 0x1f600, 'UTF-32 is written big-endian, without a BOM');
  assert.deepEqual(encodeText('a', 'UTF-16'), Buffer.from([0xfe, 0xff, 0x00, 0x61]), 'UTF-16 is written with a BOM, big-endian');
});

test('malformed input decodes to U+FFFD and lone surrogates are written as U+FFFD', () => {
  assert.equal(decodeText(Buffer.from([0x00, 0x61, 0x00]), 'UTF-16BE'), 'a\uFFFD', 'an odd trailing byte');
  assert.equal(decodeText(Buffer.from([0xd8, 0x00]), 'UTF-16BE'), '\uFFFD', 'a lone surrogate');
  assert.equal(decodeText(Buffer.from([0x00, 0x11, 0x00, 0x00, 0x00, 0x00, 0xd8, 0x00, 0x00]), 'UTF-32BE'), '\uFFFD\uFFFD\uFFFD', 'past U+10FFFF, a surrogate, a short tail');
  assert.equal(decodeText(Buffer.from([0xff, 0x61]), 'UTF-8'), '\uFFFDa');
  assert.deepEqual(encodeText('\ud800x', 'UTF-16LE'), Buffer.from('\uFFFDx', 'utf16le'));
  assert.deepEqual(encodeText('\udc00', 'UTF-32BE'), Buffer.from([0, 0, 0xff, 0xfd]));
  const many = 'ab😀'.repeat(5000);
  assert.equal(decodeText(encodeText(many, 'UTF-32LE'), 'UTF-32LE'), many, 'long texts decode whole');
});
