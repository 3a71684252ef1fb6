import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SluiceError } from '@sluice/core';
import { decodeRequest, decodeResponse, encodeRequestBuffers, encodeResponseBuffers } from './call-codec.js';
import { AVRO_SOURCE_PROTOCOL_HASH, AVRO_SOURCE_PROTOCOL_TEXT } from './protocol.js';

const hash = AVRO_SOURCE_PROTOCOL_HASH.toString('hex');
const protocolError = (err: unknown): boolean => err instanceof SluiceError && err.code === 'SLUICE_ERR_PROTOCOL';

test('requests and responses round-trip through the codec', () => {
  const params = Buffer.from('0202066b65790276000a68656c6c6f00', 'hex');
  const handshake = { clientHash: AVRO_SOURCE_PROTOCOL_HASH, clientProtocol: AVRO_SOURCE_PROTOCOL_TEXT, serverHash: AVRO_SOURCE_PROTOCOL_HASH, meta: { a: Buffer.from('b') } };
  const req = decodeRequest(Buffer.concat(encodeRequestBuffers(handshake, 'appendBatch', params)), true);
  assert.equal(req.message, 'appendBatch');
  assert.ok(req.params.equals(params));
  assert.equal(req.handshake!.clientProtocol, AVRO_SOURCE_PROTOCOL_TEXT);
  assert.equal(req.handshake!.meta!['a']!.toString(), 'b');
  for (const body of [{ kind: 'result', statusIndex: 2 }, { kind: 'error', message: 'boom' }] as const) {
    const hs = { match: 'CLIENT' as const, serverProtocol: 'p', serverHash: AVRO_SOURCE_PROTOCOL_HASH, meta: null };
    assert.deepEqual(decodeResponse(Buffer.concat(encodeResponseBuffers(hs, body)), true), { handshake: hs, body });
    assert.deepEqual(decodeResponse(Buffer.concat(encodeResponseBuffers(null, body)), false), { handshake: null, body });
  }
  // Flume's worked example of an error body.
  assert.equal(Buffer.concat(encodeResponseBuffers(null, { kind: 'error', message: 'boom' })).toString('hex'), '000100' + '08' + Buffer.from('boom').toString('hex'));
});

test('hostile counts and lengths fail at once instead of spinning', () => {
  const hostile = [
    // call meta claiming 2^40 entries
    Buffer.from('80808080808040', 'hex'),
    // call meta with a negative block count and a huge one after it
    Buffer.from('01008080808080808080', 'hex'),
    // one meta entry whose key has a negative length
    Buffer.from('020302', 'hex'),
    // a message name longer than the message
    Buffer.from('00ff01', 'hex'),
    // a varint that never ends
    Buffer.alloc(20, 0xff),
  ];
  for (const bytes of hostile) assert.throws(() => decodeRequest(bytes, false), protocolError, bytes.toString('hex'));
  // handshake: bad union branch, truncated hash, meta map with a silly count
  assert.throws(() => decodeRequest(Buffer.from(hash + '04', 'hex'), true), protocolError);
  assert.throws(() => decodeRequest(Buffer.from(hash.slice(0, 10), 'hex'), true), protocolError);
  assert.throws(() => decodeRequest(Buffer.from(hash + '00' + hash + '02' + 'feffffffff0f', 'hex'), true), protocolError);
  // responses: unknown match, bad flag, trailing bytes, error union branch 1
  assert.throws(() => decodeResponse(Buffer.from('06000000', 'hex'), true), protocolError);
  assert.throws(() => decodeResponse(Buffer.from('0007', 'hex'), false), protocolError);
  assert.throws(() => decodeResponse(Buffer.from('00000000', 'hex'), false), protocolError);
  assert.throws(() => decodeResponse(Buffer.from('000102', 'hex'), false), protocolError);
});
