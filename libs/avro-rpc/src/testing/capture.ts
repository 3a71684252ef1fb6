import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FrameDecoder, type NettyFrame } from '../netty-framing.js';

/** One socket read of a capture. */
export interface CaptureChunk {
  readonly conn: number;
  readonly dir: 'c2s' | 's2c';
  readonly bytes: Buffer;
}

/** The fixtures live in src/ (tsc does not copy them); tests run from dist/testing/../. */
const FIXTURES = join(__dirname, '..', '..', 'src', 'fixtures');

export function loadCapture(name: 'cap-real' | 'cap-raw' | 'cap-big' | 'cap-deflate'): CaptureChunk[] {
  return readFileSync(join(FIXTURES, `${name}.jsonl`), 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const o = JSON.parse(line) as { conn: number; dir: 'c2s' | 's2c'; hex: string };
      return { conn: o.conn, dir: o.dir, bytes: Buffer.from(o.hex, 'hex') };
    });
}

/** All bytes of one direction of one connection, in order. */
export function streamOf(chunks: readonly CaptureChunk[], conn: number, dir: 'c2s' | 's2c'): Buffer {
  return Buffer.concat(chunks.filter((c) => c.conn === conn && c.dir === dir).map((c) => c.bytes));
}

/** The frames of a byte stream, each with its raw bytes. */
export function framesOf(stream: Buffer): { frame: NettyFrame; raw: Buffer }[] {
  const decoder = new FrameDecoder();
  const out: { frame: NettyFrame; raw: Buffer }[] = [];
  let at = 0;
  for (const frame of decoder.push(stream)) {
    const size = 8 + frame.bufferLengths.reduce((n, l) => n + 4 + l, 0);
    out.push({ frame, raw: stream.subarray(at, at + size) });
    at += size;
  }
  if (at !== stream.length || decoder.midFrame) throw new Error('the stream does not end on a frame boundary');
  return out;
}
