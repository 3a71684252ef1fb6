import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as avro from 'avsc';
import fc from 'fast-check';
import { writeLength } from './avro-binary.js';
import { AVRO_FLUME_EVENT_SCHEMA, encodeBatch, frameBatch } from './batch-codec.js';
import { decodeBatch } from './batch-codec.js';
import { BatchCursor } from './batch-cursor.js';
import { SluiceError } from './errors.js';
import type { SluiceEvent } from './event.js';

const BATCH = avro.Type.forSchema({ type: 'array', items: AVRO_FLUME_EVENT_SCHEMA as unknown as avro.Schema });

const text = fc.oneof(fc.string({ maxLength: 8 }), fc.string({ unit: 'grapheme', maxLength: 60 }));
const bodyArb = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  fc.tuple(fc.integer({ min: 9000, max: 40_000 }), fc.integer({ min: 0, max: 255 })).map(([n, b]) => Buffer.alloc(n, b)),
);
// avsc reads a `__proto__` header by assignment, which drops it; the cursor keeps it (tested on its own below).
const headerKey = text.filter((k) => k !== '__proto__');
const eventArb: fc.Arbitrary<SluiceEvent> = fc.record({ headers: fc.dictionary(headerKey, text, { maxKeys: 4 }), body: bodyArb });
const eventsArb = fc.array(eventArb, { maxLength: 30 });

/** What the cursor reports of each event, read field by field. */
function walk(bytes: Buffer): { headers: Record<string, string>; headerCount: number; body: Buffer; start: number; end: number }[] {
  const out = [];
  const c = new BatchCursor(bytes);
  while (c.next()) {
    const body = c.body;
    assert.equal(body.buffer, bytes.buffer, 'the body is a view of the batch');
    assert.equal(c.end - c.bodyStart, body.length);
    out.push({ headers: c.headers(), headerCount: c.headerCount, body, start: c.start, end: c.end });
  }
  assert.equal(c.next(), false, 'stays at the end');
  return out;
}

/** Malformed bytes throw SLUICE_ERR_MALFORMED_BATCH, nothing else; good ones give their events. */
function walkOrMalformed(bytes: Buffer): number | 'malformed' {
  try {
    return walk(bytes).length;
  } catch (err) {
    assert.ok(err instanceof SluiceError && err.code === 'SLUICE_ERR_MALFORMED_BATCH', `not a malformed-batch error: ${String(err)}`);
    return 'malformed';
  }
}

test('the cursor reads back exactly the events encoded, headers in order, bodies as views', () => {
  fc.assert(
    fc.property(eventsArb, (events) => {
      const bytes = encodeBatch(events);
      const read = walk(bytes);
      assert.deepEqual(
        read.map((e) => ({ headers: e.headers, body: Buffer.from(e.body) })),
        events.map((e) => ({ headers: { ...e.headers }, body: e.body })),
      );
      for (const [i, e] of read.entries()) {
        assert.deepEqual(Object.keys(e.headers), Object.keys(events[i]!.headers), 'header order');
        assert.equal(e.headerCount, Object.keys(events[i]!.headers).length);
      }
      const framing = frameBatch(bytes);
      assert.deepEqual(
        read.map((e) => [e.start, e.end]),
        framing.starts.map((s, i) => [s, framing.ends[i]]),
        "each event's place in the bytes",
      );
      assert.deepEqual(decodeBatch(bytes), read.map((e) => ({ headers: e.headers, body: e.body })));
    }),
    { numRuns: 200 },
  );
});

test('arrays in several blocks, with and without byte sizes, read as one', () => {
  const a = encodeBatch([{ headers: { h: '1' }, body: Buffer.from('one') }]);
  const twoEvents = encodeBatch([
    { headers: {}, body: Buffer.from('two') },
    { headers: { k: 'v', k2: 'v2' }, body: Buffer.from('three') },
  ]);
  // The second block written as Java's blocking encoders do: a negative count, then its byte size.
  const items = twoEvents.subarray(1, -1);
  const head = Buffer.alloc(20);
  let p = head.writeUInt8(0x03, 0); // zig-zag of -2
  p = writeLength(head, p, items.length);
  const blocks = Buffer.concat([a.subarray(0, -1), head.subarray(0, p), items, Buffer.from([0])]);
  assert.deepEqual(
    decodeBatch(blocks).map((e) => [e.headers, e.body.toString()]),
    [
      [{ h: '1' }, 'one'],
      [{}, 'two'],
      [{ k: 'v', k2: 'v2' }, 'three'],
    ],
  );
  const c = new BatchCursor(blocks);
  assert.ok(c.next());
  assert.equal(c.claimed, 1);
  assert.ok(c.next());
  assert.equal(c.claimed, 3, 'the second block announces two events');
});

test('a header named __proto__ is a header like any other', () => {
  const headers: Record<string, string> = {};
  Object.defineProperty(headers, '__proto__', { value: 'p', enumerable: true, writable: true, configurable: true });
  headers['a'] = 'b';
  const [event] = decodeBatch(encodeBatch([{ headers, body: Buffer.from('x') }]));
  assert.deepEqual(Object.entries(event!.headers), [
    ['__proto__', 'p'],
    ['a', 'b'],
  ]);
  assert.equal(Object.getPrototypeOf(event!.headers), Object.prototype);
});

test('a repeated header key counts twice; its last value is kept', () => {
  const bytes = Buffer.from([0x02, 0x04, 0x02, 0x6b, 0x02, 0x31, 0x02, 0x6b, 0x02, 0x32, 0x00, 0x02, 0x78, 0x00]);
  const c = new BatchCursor(bytes);
  assert.ok(c.next());
  assert.equal(c.headerCount, 2);
  assert.deepEqual(c.headers(), { k: '2' });
  assert.equal(c.body.toString(), 'x');
  assert.equal(c.next(), false);
});

test('a valid batch cut at any byte is malformed', () => {
  fc.assert(
    fc.property(fc.array(eventArb.map((e) => ({ ...e, body: e.body.subarray(0, 50) })), { minLength: 1, maxLength: 5 }), (events) => {
      const bytes = encodeBatch(events);
      for (let len = 0; len < bytes.length; len++) assert.equal(walkOrMalformed(bytes.subarray(0, len)), 'malformed', `cut at ${len}`);
      assert.equal(walkOrMalformed(Buffer.concat([bytes, Buffer.from([0])])), 'malformed', 'a trailing byte');
    }),
    { numRuns: 50 },
  );
});

test('random and mutated bytes are either a batch or malformed, never another error', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (garbage) => {
      walkOrMalformed(Buffer.from(garbage));
    }),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(eventsArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (events, flips) => {
      const bytes = Buffer.from(encodeBatch(events));
      for (const [at, value] of flips) bytes[at % bytes.length] = value;
      const result = walkOrMalformed(bytes);
      if (result !== 'malformed') assert.deepEqual(decodeBatch(bytes).length, result);
    }),
    { numRuns: 300 },
  );
});

test('hostile lengths and counts are refused without allocating from them', () => {
  const long = (n: number) => avro.Type.forSchema('long').toBuffer(n);
  const claims = [2 ** 26, 2 ** 40, 2 ** 52, -1, -(2 ** 40)];
  const hostile: Buffer[] = [];
  for (const n of claims) {
    hostile.push(Buffer.concat([long(n), Buffer.alloc(8)])); // the event count
    hostile.push(Buffer.concat([long(1), long(n), Buffer.alloc(8)])); // the header count
    hostile.push(Buffer.concat([long(1), long(1), long(n), Buffer.alloc(8)])); // a header key's length
    hostile.push(Buffer.concat([long(1), long(1), long(0), long(n), Buffer.alloc(8)])); // a header value's length
    hostile.push(Buffer.concat([long(1), long(0), long(n), Buffer.alloc(8)])); // the body's length
  }
  hostile.push(Buffer.from([0x02, 0x00, ...Buffer.alloc(12, 0xff)])); // an endless varint
  const allocated: number[] = [];
  const spied = ['alloc', 'allocUnsafe', 'allocUnsafeSlow'] as const;
  const originals = spied.map((name) => Buffer[name]);
  spied.forEach((name, i) => {
    const original = originals[i]! as (size: number) => Buffer;
    (Buffer as unknown as Record<string, unknown>)[name] = (size: number, ...rest: unknown[]) => {
      allocated.push(size);
      return (original as (...a: unknown[]) => Buffer)(size, ...rest);
    };
  });
  const before = process.memoryUsage();
  try {
    for (const bytes of hostile) {
      assert.equal(walkOrMalformed(bytes), 'malformed', bytes.toString('hex'));
      assert.throws(() => decodeBatch(bytes), { code: 'SLUICE_ERR_MALFORMED_BATCH' });
    }
  } finally {
    spied.forEach((name, i) => ((Buffer as unknown as Record<string, unknown>)[name] = originals[i]));
  }
  const after = process.memoryUsage();
  assert.ok(Math.max(0, ...allocated) <= 64, `buffers allocated: ${allocated.join(', ')}`);
  assert.ok(after.arrayBuffers - before.arrayBuffers < 8 * 2 ** 20, 'no buffer sized from a claim');
  assert.ok(after.heapUsed - before.heapUsed < 32 * 2 ** 20, 'no array sized from a claim');
});

test('BATCH-schema bytes avsc writes are read as avsc reads them', () => {
  fc.assert(
    fc.property(eventsArb, (events) => {
      const bytes = BATCH.toBuffer(events);
      const expected = (BATCH.fromBuffer(bytes) as SluiceEvent[]).map((e) => ({ headers: { ...e.headers }, body: e.body }));
      assert.deepEqual(
        decodeBatch(bytes).map((e) => ({ headers: e.headers, body: Buffer.from(e.body) })),
        expected,
      );
    }),
    { numRuns: 100 },
  );
});
