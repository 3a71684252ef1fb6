import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Batch, encodeBatch, SluiceError, textEvent } from '@sluice/core';
import { dumpEvent, hexDump } from './event-dump.js';
import { loggerSink } from './logger-sink.js';
import { configFor, fakeContext, NO_SIGNAL, takenBatch, textBatch } from '../test-support.js';

test('hexDump has the commons-io layout', () => {
  assert.equal(hexDump(Buffer.from('Hello\r')), `00000000 48 65 6C 6C 6F 0D ${' '.repeat(30)}Hello.\n`);
  const twoRows = hexDump(Buffer.from('0123456789abcdefXY'));
  assert.equal(
    twoRows,
    '00000000 30 31 32 33 34 35 36 37 38 39 61 62 63 64 65 66 0123456789abcdef\n' +
      `00000010 58 59 ${' '.repeat(42)}XY\n`,
  );
});

test("dumpEvent matches Flume's line: Map.toString headers, hex without the first offset", () => {
  const line = dumpEvent({ headers: { k1: 'v1', k2: 'v2' }, body: Buffer.from('Hello\r') }, 16);
  assert.equal(line, `{ headers:{k1=v1, k2=v2} body: 48 65 6C 6C 6F 0D ${' '.repeat(30)}Hello. }`);
});

test('dumpEvent shows at most maxBytes, non-printables as dots, and an empty body as nothing', () => {
  const body = Buffer.from([0x00, 0x7f, 0xff, 0x41, ...Buffer.from('0123456789abcdefghij')]);
  assert.equal(dumpEvent({ headers: {}, body }, 16), '{ headers:{} body: 00 7F FF 41 30 31 32 33 34 35 36 37 38 39 61 62 ...A0123456789ab }');
  assert.equal(dumpEvent({ headers: {}, body: Buffer.alloc(0) }, 16), '{ headers:{} body: }');
  assert.equal(dumpEvent({ headers: { a: 'b' }, body: Buffer.from('x') }, 0), '{ headers:{a=b} body: }');
  const twoRows = dumpEvent({ headers: {}, body: Buffer.from('0123456789abcdefXY') }, 100);
  assert.equal(twoRows, `{ headers:{} body: 30 31 32 33 34 35 36 37 38 39 61 62 63 64 65 66 0123456789abcdef\n00000010 58 59 ${' '.repeat(42)}XY }`);
});

test('the sink logs one info line per event, headers inside the message only', async () => {
  const ctx = fakeContext();
  const sink = loggerSink.create(configFor(loggerSink, {}), ctx);
  await sink.start();
  assert.equal(sink.batchSize, 100);
  const result = await sink.deliver(textBatch(['Hello', 'World'], { level: 'evil', msg: 'spoof' }), NO_SIGNAL);
  assert.deepEqual(result, { status: 'ok' });
  const lines = ctx.records.filter((r) => r.msg.startsWith('Event: '));
  assert.deepEqual(
    lines.map((r) => r.msg),
    [
      `Event: { headers:{level=evil, msg=spoof} body: 48 65 6C 6C 6F ${' '.repeat(33)}Hello }`,
      `Event: { headers:{level=evil, msg=spoof} body: 57 6F 72 6C 64 ${' '.repeat(33)}World }`,
    ],
  );
  for (const r of lines) assert.equal(r.level, 30);
  await sink.stop();
});

test('a batch that is not an Avro array lets the codec’s error out, logging nothing; the next batch is logged', async () => {
  const ctx = fakeContext();
  const sink = loggerSink.create(configFor(loggerSink, { batchSize: 1 }), ctx);
  const malformed = (err: unknown) => err instanceof SluiceError && err.code === 'SLUICE_ERR_MALFORMED_BATCH';
  await assert.rejects(sink.deliver(new Batch(Buffer.from([0x02, 0xff]), 1), NO_SIGNAL), malformed);
  // Its first event is whole, the second is cut short.
  const good = encodeBatch([textEvent('first'), textEvent('second')]);
  await assert.rejects(sink.deliver(new Batch(good.subarray(0, good.length - 3), 2), NO_SIGNAL), malformed);
  assert.equal(ctx.records.length, 0);
  const ok = await sink.deliver(takenBatch([{ headers: {}, body: Buffer.from('x') }]), NO_SIGNAL);
  assert.equal(ok.status, 'ok');
  assert.equal(ctx.records.filter((r) => r.msg.startsWith('Event: ')).length, 1);
});
