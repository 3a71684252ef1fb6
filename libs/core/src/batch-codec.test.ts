import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as avro from 'avsc';
import fc from 'fast-check';
import { AVRO_FLUME_EVENT_SCHEMA, concatBatches, decodeBatch, encodeBatch, frameBatch, joinRanges, sliceBatch } from './batch-codec.js';
import { textEvent, type SluiceEvent } from './event.js';

/** Decoded events are avsc record instances; compare their fields. */
const plain = (events: readonly SluiceEvent[]) => events.map((e) => ({ headers: { ...e.headers }, body: e.body }));

const eventArb = fc.record({
  headers: fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 12 }), { maxKeys: 3 }),
  body: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
});

test('a batch round-trips through encode and decode', () => {
  fc.assert(
    fc.property(fc.array(eventArb, { maxLength: 40 }), (events) => {
      assert.deepEqual(plain(decodeBatch(encodeBatch(events))), plain(events));
    }),
  );
});

test('framing counts events and body bytes without decoding', () => {
  fc.assert(
    fc.property(fc.array(eventArb, { maxLength: 40 }), (events) => {
      const framing = frameBatch(encodeBatch(events));
      assert.equal(framing.starts.length, events.length);
      assert.equal(framing.bodyBytes, events.reduce((n, e) => n + e.body.length, 0));
    }),
  );
});

test('slicing and concatenating batches keeps every event in order', () => {
  fc.assert(
    fc.property(fc.array(eventArb, { maxLength: 40 }), fc.nat(), (events, cutSeed) => {
      const bytes = encodeBatch(events);
      const framing = frameBatch(bytes);
      const cut = events.length === 0 ? 0 : cutSeed % (events.length + 1);
      const head = sliceBatch(bytes, framing, 0, cut);
      const tail = sliceBatch(bytes, framing, cut, events.length);
      assert.deepEqual(plain(decodeBatch(head)), plain(events.slice(0, cut)));
      assert.deepEqual(plain(decodeBatch(tail)), plain(events.slice(cut)));
      const joined = concatBatches([
        { bytes: head, framing: frameBatch(head) },
        { bytes: tail, framing: frameBatch(tail) },
      ]);
      assert.deepEqual(plain(decodeBatch(joined)), plain(events));
      const cutAgain = Math.floor(cut / 2);
      const joinedRanges = joinRanges([
        { bytes, framing, from: 0, to: cutAgain },
        { bytes, framing, from: cut, to: events.length },
      ]);
      assert.deepEqual(joinedRanges.framing, frameBatch(joinedRanges.bytes), 'framing computed arithmetically');
      assert.deepEqual(plain(decodeBatch(joinedRanges.bytes)), plain([...events.slice(0, cutAgain), ...events.slice(cut)]));
    }),
  );
});

test("the encoding is avsc's, byte for byte, for any strings, repeated header values included", () => {
  const avsc = avro.Type.forSchema({ type: 'array', items: AVRO_FLUME_EVENT_SCHEMA as unknown as avro.Schema });
  // Strings from a small pool (so events repeat their neighbours' headers), short and long, any Unicode.
  const text = fc.oneof(fc.string({ maxLength: 8 }), fc.string({ unit: 'grapheme', maxLength: 100 }), fc.string({ unit: 'binary', minLength: 60, maxLength: 300 }));
  const pooled = fc.array(text, { minLength: 1, maxLength: 4 }).chain((pool) => fc.constantFrom(...pool));
  fc.assert(
    fc.property(
      pooled.chain((p) =>
        fc.array(
          fc.record({
            headers: fc.dictionary(fc.oneof(fc.constant(p), text), fc.oneof(fc.constant(p), text), { maxKeys: 4 }),
            body: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
          }),
          { maxLength: 30 },
        ),
      ),
      (events) => {
        assert.deepEqual(encodeBatch(events), avsc.toBuffer(events));
      },
    ),
  );
});

test('a header value that is not a string is refused, not encoded as something else', () => {
  const bad = [{ headers: { n: 5 as unknown as string }, body: Buffer.from('x') }];
  assert.throws(() => encodeBatch(bad), { code: 'SLUICE_ERR_MALFORMED_BATCH' });
  assert.deepEqual(plain(decodeBatch(encodeBatch([{ headers: { n: '5' }, body: Buffer.from('x') }]))), [{ headers: { n: '5' }, body: Buffer.from('x') }]);
});

test('a large batch encodes without loss (the shared buffer grows)', () => {
  const events: SluiceEvent[] = Array.from({ length: 5000 }, (_, i) => ({
    headers: { n: String(i) },
    body: Buffer.alloc(200, i % 251),
  }));
  assert.deepEqual(plain(decodeBatch(encodeBatch(events))), plain(events));
});

test('a block count larger than the bytes could hold is malformed (nothing sized from it)', () => {
  // zig-zag varint of 2^40 events in a 7-byte batch
  const hostile = Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x40, 0x00]);
  assert.throws(() => frameBatch(hostile), { code: 'SLUICE_ERR_MALFORMED_BATCH' });
  const multiBlock = Buffer.concat([encodeBatch([{ headers: {}, body: Buffer.from('a') }]).subarray(0, -1), encodeBatch([{ headers: { k: 'v' }, body: Buffer.from('b') }])]);
  assert.deepEqual(plain(decodeBatch(multiBlock)).map((e) => e.body.toString()), ['a', 'b'], 'two blocks');
  assert.equal(frameBatch(multiBlock).starts.length, 2);
});

test('a count the bytes cannot carry (two bytes per event, one per header string) is refused before any allocation', () => {
  const lying = (count: number, bytes: number): Buffer => {
    const out = Buffer.alloc(bytes);
    // zig-zag varint of `count`, then zeros (each pair of zeros is an empty event)
    let z = count * 2;
    let i = 0;
    while (z >= 0x80) {
      out[i++] = (z % 0x80) | 0x80;
      z = Math.floor(z / 0x80);
    }
    out[i] = z;
    return out;
  };
  // Within the old bound (count ≤ bytes) but not within two bytes per event.
  const heapBefore = process.memoryUsage().heapUsed;
  assert.throws(() => frameBatch(lying(3_000_000, 4_000_000)), { code: 'SLUICE_ERR_MALFORMED_BATCH', message: /3000000 events claimed in/ });
  assert.ok(process.memoryUsage().heapUsed - heapBefore < 16 * 1024 * 1024, 'nothing sized from the claimed count');
  // A header map claiming more entries than bytes.
  assert.throws(() => frameBatch(Buffer.from([0x02, 0xfe, 0xff, 0x03, 0x00, 0x00, 0x00])), { code: 'SLUICE_ERR_MALFORMED_BATCH', message: /headers claimed/ });
  // A count the bytes do carry is framed: two-byte events, as many as claimed.
  assert.equal(frameBatch(lying(1000, 2 + 2000 + 1)).starts.length, 1000);
  // Past maxEvents, even a count the bytes carry is refused before the events are walked.
  assert.throws(() => frameBatch(lying(1000, 2 + 2000 + 1), 999), { code: 'SLUICE_ERR_BATCH_TOO_LARGE', message: /1000 events exceeds the limit of 999/ });
  assert.equal(frameBatch(lying(1000, 2 + 2000 + 1), 1000).starts.length, 1000);
  const twoBlocks = Buffer.concat([encodeBatch([textEvent('a'), textEvent('b')]).subarray(0, -1), encodeBatch([textEvent('c')])]);
  assert.throws(() => frameBatch(twoBlocks, 2), { code: 'SLUICE_ERR_BATCH_TOO_LARGE' }, 'counted across blocks');
});

test('truncated or garbage bytes are rejected as malformed', () => {
  const bytes = encodeBatch([{ headers: { a: 'b' }, body: Buffer.from('hello') }]);
  for (let len = 0; len < bytes.length; len++) {
    assert.throws(() => frameBatch(bytes.subarray(0, len)), { code: 'SLUICE_ERR_MALFORMED_BATCH' });
  }
  assert.throws(() => frameBatch(Buffer.from([0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])), {
    code: 'SLUICE_ERR_MALFORMED_BATCH',
  });
  assert.throws(() => decodeBatch(Buffer.from([0x05])), { code: 'SLUICE_ERR_MALFORMED_BATCH' });
});

test('decodeBatch refuses a batch claiming billions of headers at once, allocating nothing for them', () => {
  // 3 events, then a header map block count of -2^31 (a block of 2^31 entries with a byte size).
  const hostile = Buffer.from([0x06, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]);
  assert.throws(() => decodeBatch(hostile), { code: 'SLUICE_ERR_MALFORMED_BATCH' });
});
