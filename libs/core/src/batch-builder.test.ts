import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as avro from 'avsc';
import fc from 'fast-check';
import { BatchBuilder } from './batch-builder.js';
import { AVRO_FLUME_EVENT_SCHEMA, emptyBatch } from './batch-codec.js';
import { BatchCursor } from './batch-cursor.js';

const BATCH = avro.Type.forSchema({ type: 'array', items: AVRO_FLUME_EVENT_SCHEMA as unknown as avro.Schema });

const text = fc.oneof(fc.string({ maxLength: 8 }), fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ unit: 'binary', minLength: 60, maxLength: 200 }));
const headersArb = fc.oneof(fc.constant({}), fc.dictionary(text, text, { minKeys: 1, maxKeys: 4 }));
/** Bodies: empty, short, Unicode text, large (past the builder's staging and its first buffer). */
const bodyArb = fc.oneof(
  fc.constant(Buffer.alloc(0)),
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  fc.string({ unit: 'grapheme', maxLength: 100 }).map((s) => Buffer.from(s)),
  fc.tuple(fc.integer({ min: 30_000, max: 140_000 }), fc.integer({ min: 0, max: 255 })).map(([n, b]) => Buffer.alloc(n, b)),
);

/**
 * A step of a builder's life: append bodies cut from one buffer (with bytes around them, as a
 * chunk holds several lines), finish the batch, or overwrite the buffer last appended from after
 * releasing it (a reused read buffer).
 */
type Step = { kind: 'chunk'; bodies: Buffer[]; gaps: number[] } | { kind: 'finish' } | { kind: 'reuse'; bodies: Buffer[] };
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('chunk' as const), bodies: fc.array(bodyArb, { maxLength: 12 }), gaps: fc.array(fc.nat(3), { maxLength: 12 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'finish' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reuse' as const), bodies: fc.array(bodyArb, { minLength: 1, maxLength: 4 }) }) },
);

/** Lays bodies out in one buffer, `gaps[i]` filler bytes before each; returns it and their ranges. */
function layOut(bodies: readonly Buffer[], gaps: readonly number[]): { chunk: Buffer; ranges: [number, number][] } {
  const parts: Buffer[] = [];
  const ranges: [number, number][] = [];
  let at = 0;
  for (const [i, body] of bodies.entries()) {
    const gap = Buffer.alloc(gaps[i] ?? 1, 0x0a);
    parts.push(gap, body);
    ranges.push([at + gap.length, at + gap.length + body.length]);
    at += gap.length + body.length;
  }
  parts.push(Buffer.from('tail'));
  return { chunk: Buffer.concat(parts), ranges };
}

test("the builder's batches are avsc's toBuffer of the same events, byte for byte", () => {
  fc.assert(
    fc.property(headersArb, fc.array(stepArb, { maxLength: 10 }), (headers, steps) => {
      const builder = new BatchBuilder(headers);
      const batches: { bytes: Buffer; count: number; copy: Buffer }[] = [];
      const expected: Buffer[][] = [];
      let pending: Buffer[] = [];
      let last: { chunk: Buffer; ranges: [number, number][] } | undefined;
      const finish = () => {
        const count = builder.count;
        assert.equal(count, pending.length);
        const bytes = builder.finish();
        batches.push({ bytes, count, copy: Buffer.from(bytes) });
        expected.push(pending);
        pending = [];
        assert.equal(builder.count, 0);
      };
      for (const step of steps) {
        if (step.kind === 'finish') finish();
        else if (step.kind === 'chunk') {
          last = layOut(step.bodies, step.gaps);
          for (const [start, end] of last.ranges) builder.append(last.chunk, start, end);
          pending.push(...step.bodies);
        } else if (last !== undefined) {
          // The same buffer, refilled in place with other bodies once released.
          builder.release();
          const refill = layOut(step.bodies, []);
          const chunk = last.chunk;
          const n = Math.min(chunk.length, refill.chunk.length);
          refill.chunk.copy(chunk, 0, 0, n);
          for (const [start, end] of refill.ranges) {
            if (end > n) break;
            builder.append(chunk, start, end);
            pending.push(Buffer.from(chunk.subarray(start, end)));
          }
        }
      }
      finish();
      for (const [i, b] of batches.entries()) {
        const events = expected[i]!.map((body) => ({ headers, body }));
        assert.deepEqual(b.bytes, BATCH.toBuffer(events));
        assert.equal(b.count, events.length);
        assert.deepEqual(b.copy, b.bytes, 'a finished batch is never written again');
      }
    }),
    { numRuns: 150 },
  );
});

test('bodies appended whole (no range) and from several buffers in turn', () => {
  const builder = new BatchBuilder({ host: 'h1', 'clé': 'välue' });
  const a = Buffer.from('first\nsecond\n');
  const b = Buffer.from('other');
  builder.append(a, 0, 5);
  builder.append(b);
  builder.append(a, 6, 12);
  builder.append(b, 1, 3);
  const bytes = builder.finish();
  const c = new BatchCursor(bytes);
  const read: [Record<string, string>, string][] = [];
  while (c.next()) read.push([c.headers(), c.body.toString()]);
  const headers = { host: 'h1', 'clé': 'välue' };
  assert.deepEqual(read, [
    [headers, 'first'],
    [headers, 'other'],
    [headers, 'second'],
    [headers, 'th'],
  ]);
});

test('a builder with nothing appended finishes the empty batch', () => {
  const builder = new BatchBuilder();
  assert.deepEqual(builder.finish(), emptyBatch());
  builder.append(Buffer.from('x'));
  assert.deepEqual(builder.finish(), BATCH.toBuffer([{ headers: {}, body: Buffer.from('x') }]));
  assert.deepEqual(builder.finish(), emptyBatch());
});

test('a header value that is not a string is refused', () => {
  assert.throws(() => new BatchBuilder({ n: 5 as unknown as string }), { code: 'SLUICE_ERR_MALFORMED_BATCH' });
});
