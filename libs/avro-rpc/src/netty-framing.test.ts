import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { SluiceError } from '@sluice/core';
import { encodeFrame, encodeFrameChunks, FrameDecoder, splitIntoBuffers } from './netty-framing.js';

const framesArb = fc.array(
  fc.record({
    serial: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
    buffers: fc.array(fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)), { minLength: 1, maxLength: 6 }),
  }),
  { minLength: 1, maxLength: 8 },
);

test('frames survive any split of the byte stream', () => {
  fc.assert(
    fc.property(framesArb, fc.array(fc.nat(), { maxLength: 20 }), (frames, cuts) => {
      const stream = Buffer.concat(frames.map((f) => encodeFrame(f.serial, f.buffers)));
      const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
      const decoder = new FrameDecoder();
      const out = [];
      let from = 0;
      for (const p of [...points, stream.length]) {
        out.push(...decoder.push(stream.subarray(from, p)));
        from = p;
      }
      assert.equal(decoder.midFrame, false);
      assert.deepEqual(
        out.map((f) => [f.serial, f.bufferLengths, f.payload.toString('hex')]),
        frames.map((f) => [f.serial, f.buffers.map((b) => b.length), Buffer.concat(f.buffers).toString('hex')]),
      );
    }),
  );
});

test('the chunks of a gathered write are the bytes of encodeFrame, large buffers referenced, not copied', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
      fc.array(fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)), { minLength: 1, maxLength: 8 }),
      fc.integer({ min: 0, max: 65 }),
      (serial, buffers, copyBelow) => {
        const chunks = encodeFrameChunks(serial, buffers, copyBelow);
        assert.deepEqual(Buffer.concat(chunks), encodeFrame(serial, buffers));
        for (const b of buffers) if (b.length >= copyBelow) assert.ok(chunks.includes(b), 'a large buffer is passed as is');
      },
    ),
  );
});

test('a partial frame is reported as mid-frame', () => {
  const frame = encodeFrame(1, [Buffer.from('abc')]);
  const d = new FrameDecoder();
  assert.deepEqual(d.push(frame.subarray(0, 5)), []);
  assert.equal(d.midFrame, true);
  assert.equal(d.push(frame.subarray(5)).length, 1);
  assert.equal(d.midFrame, false);
});

test('limits and malformed headers are rejected with SLUICE_ERR_PROTOCOL', () => {
  const limits = { maxFrameBytes: 100, maxBuffersPerFrame: 3 };
  const header = (count: number, ...lengths: number[]): Buffer => {
    const b = Buffer.alloc(8 + 4 * lengths.length);
    b.writeInt32BE(1, 0);
    b.writeInt32BE(count, 4);
    lengths.forEach((l, i) => b.writeInt32BE(l, 8 + 4 * i));
    return b;
  };
  const cases: [Buffer, RegExp][] = [
    [header(0), /buffer count 0/],
    [header(-1), /buffer count -1/],
    [header(4), /exceeds the limit of 3/],
    [header(1, -7), /buffer length -7/],
    [header(1, 101), /exceeds the limit of 100 bytes/],
    [Buffer.concat([header(2, 60), Buffer.alloc(60), header(0).subarray(0, 0), Buffer.from([0, 0, 0, 41])]), /exceeds the limit of 100 bytes/],
  ];
  for (const [bytes, message] of cases) {
    assert.throws(
      () => new FrameDecoder(limits).push(bytes),
      (err: unknown) => err instanceof SluiceError && err.code === 'SLUICE_ERR_PROTOCOL' && message.test(err.message),
    );
  }
});

test('splitIntoBuffers cuts Java-style 8 KiB buffers without copying', () => {
  const bytes = Buffer.alloc(19783, 7);
  const parts = splitIntoBuffers(bytes);
  assert.deepEqual(
    parts.map((p) => p.length),
    [8192, 8192, 3399],
  );
  assert.equal(parts[1]!.buffer, bytes.buffer);
  assert.deepEqual(splitIntoBuffers(Buffer.alloc(0)), []);
});
