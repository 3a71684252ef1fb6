import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AVRO_SOURCE_PROTOCOL_HASH, AVRO_SOURCE_PROTOCOL_TEXT, md5 } from './protocol.js';
import { LOCAL_SHAPE, parseProtocolShape } from './protocol-shape.js';

test('the protocol text is Java’s: 1334 bytes, MD5 86aadae2c45474c0fe93ffd0f2350a65', () => {
  assert.equal(Buffer.byteLength(AVRO_SOURCE_PROTOCOL_TEXT), 1334);
  assert.equal(AVRO_SOURCE_PROTOCOL_HASH.toString('hex'), '86aadae2c45474c0fe93ffd0f2350a65');
  assert.ok(md5(AVRO_SOURCE_PROTOCOL_TEXT).equals(AVRO_SOURCE_PROTOCOL_HASH));
});

test('protocol shapes: both messages, Status symbols, recursive or broken schemas refused', () => {
  assert.deepEqual([...LOCAL_SHAPE.messages.keys()].sort(), ['append', 'appendBatch']);
  assert.deepEqual(LOCAL_SHAPE.messages.get('appendBatch')!.responseSymbols, ['OK', 'FAILED', 'UNKNOWN']);
  assert.equal(LOCAL_SHAPE.messages.get('appendBatch')!.requestLayout, '{[{map<string>,bytes}]}');
  assert.throws(() => parseProtocolShape('not json'), { code: 'SLUICE_ERR_PROTOCOL' });
  const recursive = JSON.stringify({
    protocol: 'P',
    types: [{ type: 'record', name: 'N', fields: [{ name: 'next', type: ['null', 'N'] }] }],
    messages: { m: { request: [{ name: 'n', type: 'N' }], response: 'null' } },
  });
  assert.throws(() => parseProtocolShape(recursive), { code: 'SLUICE_ERR_PROTOCOL' });
});
