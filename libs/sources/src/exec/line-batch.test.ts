import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeBatch, encodeBatch, type Batch } from '@sluice/core';
import { LineBatchEncoder } from './line-batch.js';
import { LineSplitter } from './line-splitter.js';

const LF = 0x0a;
const CR = 0x0d;

interface Run {
  readonly batches: Batch[];
  readonly overlong: number[];
}

/** Feeds `chunks` through a splitter into an encoder, cutting at batchSize and at the end. */
function runLines(chunks: readonly Buffer[], maxLineLength: number, batchSize: number): Run {
  const batches: Batch[] = [];
  const overlong: number[] = [];
  const cut = () => {
    const b = encoder.take();
    if (b !== undefined) batches.push(b);
  };
  const encoder = new LineBatchEncoder(batchSize, cut);
  const splitter = new LineSplitter(maxLineLength, encoder, (n) => overlong.push(n));
  for (const c of chunks) splitter.push(c);
  splitter.end();
  cut();
  return { batches, overlong };
}

const bodiesOf = (batches: readonly Batch[]) => batches.flatMap((b) => decodeBatch(b.bytes).map((e) => Buffer.from(e.body)));

/** Cuts `input` at the given offsets (sorted, deduplicated) into chunks that are copies. */
function chunksOf(input: Buffer, cuts: readonly number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (input.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of [...at, input.length]) {
    if (c > prev) out.push(Buffer.from(input.subarray(prev, c)));
    prev = c;
  }
  return out;
}

/**
 * The expected lines, written independently of the splitter: split on LF; a line over
 * maxLineLength gives pieces of maxLineLength while more than maxLineLength bytes are left, then
 * the rest; a terminated line (its rest) loses one trailing CR; an unterminated empty rest is no line.
 */
function expectedLines(input: Buffer, max: number): { lines: Buffer[]; overlong: number } {
  const lines: Buffer[] = [];
  let overlong = 0;
  let start = 0;
  for (;;) {
    const nl = input.indexOf(LF, start);
    let rest = input.subarray(start, nl === -1 ? input.length : nl);
    if (rest.length > max) overlong++;
    while (rest.length > max) {
      lines.push(rest.subarray(0, max));
      rest = rest.subarray(max);
    }
    if (nl === -1) {
      if (rest.length > 0) lines.push(rest);
      return { lines, overlong };
    }
    lines.push(rest.length > 0 && rest[rest.length - 1] === CR ? rest.subarray(0, -1) : rest);
    start = nl + 1;
  }
}

/** Lines of mixed content: empty, short, long, with CR inside or at the end, any byte. */
const lineArb = fc.oneof(
  fc.constant(''),
  fc.constant('\r'),
  fc.string({ maxLength: 30 }),
  fc.string({ minLength: 60, maxLength: 300 }),
  fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a.filter((b) => b !== LF)).toString('latin1')),
  fc.string({ maxLength: 20 }).map((s) => `${s}\r`),
);

const inputArb = fc.record({
  lines: fc.array(lineArb, { maxLength: 60 }),
  tail: fc.oneof(fc.constant(''), fc.string({ maxLength: 40 }), fc.constant('x\r')),
});

test('lines are split and encoded as core encodes them, wherever the chunks are cut', () => {
  fc.assert(
    fc.property(
      inputArb,
      fc.array(fc.nat(), { maxLength: 20 }),
      fc.oneof(fc.constant(16 * 1024 * 1024), fc.integer({ min: 1, max: 64 })),
      fc.integer({ min: 1, max: 25 }),
      ({ lines, tail }, cuts, max, batchSize) => {
        const input = Buffer.from(lines.map((l) => `${l}\n`).join('') + tail, 'latin1');
        const { batches, overlong } = runLines(chunksOf(input, cuts), max, batchSize);
        const want = expectedLines(input, max);
        assert.deepEqual(bodiesOf(batches), want.lines);
        assert.equal(overlong.length, want.overlong, 'one warning per overlong line');
        for (const [i, b] of batches.entries()) {
          const events = decodeBatch(b.bytes);
          assert.equal(b.count, events.length);
          assert.ok(i === batches.length - 1 ? b.count <= batchSize : b.count === batchSize, 'batches are cut at batchSize');
          assert.deepEqual(b.bytes, encodeBatch(events), "the bytes are core's encoding");
          assert.deepEqual(
            b.events().map((e) => ({ headers: e.headers, body: Buffer.from(e.body) })),
            events.map((e) => ({ headers: {}, body: Buffer.from(e.body) })),
            'events() reads the lines back',
          );
        }
      },
    ),
  );
});

test('a line split across chunks arrives whole; CRLF split between two chunks is stripped', () => {
  const { batches } = runLines([Buffer.from('ab'), Buffer.from('c\r'), Buffer.from('\nd'), Buffer.from('e\r'), Buffer.from('\r\n')], 1024, 10);
  assert.deepEqual(bodiesOf(batches).map(String), ['abc', 'de\r']);
});

test('empty lines are empty events; a lone CR stays in its line', () => {
  const { batches } = runLines([Buffer.from('\n\r\n\n'), Buffer.from('\n'), Buffer.from('a\rb\n\r')], 1024, 100);
  assert.deepEqual(bodiesOf(batches).map(String), ['', '', '', '', 'a\rb', '\r']);
});

test('a 3 MiB line spread over 64 KiB chunks is one event, between its neighbours', () => {
  const big = Buffer.alloc(3 * 1024 * 1024, 0x61);
  const input = Buffer.concat([Buffer.from('before\n'), big, Buffer.from('\r\nafter\n')]);
  const chunks: Buffer[] = [];
  for (let i = 0; i < input.length; i += 64 * 1024) chunks.push(input.subarray(i, i + 64 * 1024));
  const { batches } = runLines(chunks, 16 * 1024 * 1024, 2);
  const bodies = bodiesOf(batches);
  assert.equal(bodies.length, 3);
  assert.equal(String(bodies[0]), 'before');
  assert.ok(bodies[1]!.equals(big));
  assert.equal(String(bodies[2]), 'after');
});

test('a cut batch is never written again, whether copied out or handed over', () => {
  const line = Buffer.from(`${'y'.repeat(199)}\n`);
  const chunk = Buffer.concat(Array.from({ length: 300 }, () => line));
  const batches: { batch: Batch; copy: Buffer }[] = [];
  const encoder = new LineBatchEncoder(1000, () => undefined);
  const splitter = new LineSplitter(1024, encoder);
  const cut = () => {
    const batch = encoder.take()!;
    batches.push({ batch, copy: Buffer.from(batch.bytes) });
  };
  // A small batch (copied out), then big ones (the buffer handed over), then more lines on top.
  splitter.push(Buffer.from('small\n'));
  cut();
  for (let round = 0; round < 4; round++) {
    for (let i = 0; i < 3; i++) splitter.push(chunk);
    cut();
  }
  for (let i = 0; i < 10; i++) splitter.push(chunk);
  assert.equal(encoder.count, 3000);
  for (const { batch, copy } of batches) assert.ok(batch.bytes.equals(copy));
  assert.deepEqual(
    batches.map(({ batch }) => batch.count),
    [1, 900, 900, 900, 900],
  );
  assert.equal(encoder.take()!.count, 3000, 'a batch grows past its first buffer');
});

test('a chunk buffer refilled in place gives its new lines', () => {
  const chunk = Buffer.from('aaa\nbbb\n');
  const batches: Batch[] = [];
  const encoder = new LineBatchEncoder(100, () => undefined);
  const splitter = new LineSplitter(1024, encoder);
  splitter.push(chunk);
  chunk.write('ccc\nddd\n');
  splitter.push(chunk);
  batches.push(encoder.take()!);
  assert.deepEqual(bodiesOf(batches).map(String), ['aaa', 'bbb', 'ccc', 'ddd']);
});

test('large inputs: lines of up to 40 KiB in chunks of up to 256 KiB come out whole and in order', () => {
  fc.assert(
    fc.property(fc.integer(), fc.integer({ min: 1, max: 1000 }), (seed, batchSize) => {
      let x = seed >>> 0 || 1;
      const rand = (n: number) => {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        return (x >>> 0) % n;
      };
      const parts: Buffer[] = [];
      for (let i = 0; i < 600; i++) {
        const len = rand(10) === 0 ? rand(40 * 1024) : rand(400);
        parts.push(Buffer.alloc(len, 0x41 + (i % 26)), Buffer.from(rand(4) === 0 ? '\r\n' : '\n'));
      }
      const input = Buffer.concat(parts);
      const cuts = Array.from({ length: 40 }, () => rand(input.length));
      const { batches } = runLines(chunksOf(input, cuts), 16 * 1024 * 1024, batchSize);
      assert.deepEqual(bodiesOf(batches), expectedLines(input, 16 * 1024 * 1024).lines);
    }),
    { numRuns: 20 },
  );
});
