import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeReply, decodeRequest, encodeMessage } from './codec.js';

test('a TAKE carrying an ACK, and the BATCH carrying its outcome, survive the wire', () => {
  const take = { type: 'TAKE', tx: 't2', max: 100, waitMs: 0, ack: 't1' } as const;
  assert.deepEqual(decodeRequest(encodeMessage(take)), take);
  const batch = { type: 'BATCH', tx: 't2', count: 0, batch: Buffer.from([0]), ack: { type: 'LEASE_EXPIRED', tx: 't1' } } as const;
  assert.deepEqual(decodeReply(encodeMessage(batch)), batch);
  const plain = { type: 'TAKE', tx: 't3', max: 100, waitMs: 5 } as const;
  assert.deepEqual(decodeRequest(encodeMessage(plain)), plain, 'the ack is optional');
});

test('a malformed ack on a TAKE or a BATCH is a protocol error', () => {
  const header = (h: object) => [Buffer.from(JSON.stringify(h))];
  for (const ack of ['', 5, {}]) {
    assert.throws(() => decodeRequest(header({ type: 'TAKE', tx: 't', max: 1, waitMs: 0, ack })), { code: 'SLUICE_ERR_PROTOCOL' }, JSON.stringify(ack));
  }
  for (const ack of ['ACKED', { type: 'COMMITTED', tx: 't1' }, { type: 'ACKED' }, null]) {
    const frames = [...header({ type: 'BATCH', tx: 't', count: 0, ack }), Buffer.from([0])];
    assert.throws(() => decodeReply(frames), { code: 'SLUICE_ERR_PROTOCOL' }, JSON.stringify(ack));
  }
});

test("a PUT's wait survives the wire, is optional, and must be a number of milliseconds", () => {
  const put = { type: 'PUT', tx: 'p', commit: true, epoch: 0, batch: Buffer.from([0]), wait: 1000 } as const;
  assert.deepEqual(decodeRequest(encodeMessage(put)), put);
  const unbounded = { type: 'PUT', tx: 'p', commit: true, epoch: 0, batch: Buffer.from([0]) } as const;
  assert.deepEqual(decodeRequest(encodeMessage(unbounded)), unbounded);
  for (const wait of [-1, '5', null]) {
    const frames = [Buffer.from(JSON.stringify({ type: 'PUT', tx: 'p', commit: true, epoch: 0, wait })), Buffer.from([0])];
    assert.throws(() => decodeRequest(frames), { code: 'SLUICE_ERR_PROTOCOL' }, JSON.stringify(wait));
  }
});
