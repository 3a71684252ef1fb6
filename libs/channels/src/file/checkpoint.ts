import * as fs from 'node:fs';
import * as path from 'node:path';
import { crc32 } from './crc32.js';
import { FORMAT_VERSION } from './record-format.js';
import { fsyncDir } from './segment.js';

export const CHECKPOINT_FILE = 'checkpoint';
const MAGIC = Buffer.from('SLUICECP', 'latin1');
const HEADER_SIZE = 32;

/** A batch with unacknowledged events, as a checkpoint records it. */
export interface CheckpointEntry {
  readonly seq: number;
  readonly segId: number;
  readonly recOffset: number;
  readonly recLen: number;
  readonly batchOffset: number;
  readonly count: number;
  /** Acknowledged ranges, flattened [from, to, ...]. */
  readonly acked: readonly number[];
}

/**
 * The queue as of a point in the log: every record before `positions` is reflected here, every
 * record after them is replayed on top.
 */
export interface CheckpointData {
  readonly createdAt: number;
  readonly nextPutSeq: number;
  readonly nextSegId: number;
  /** Per data directory: the segment holding its last applied record, and the end of that record. */
  readonly positions: readonly { readonly segId: number; readonly offset: number }[];
  /** For each segment that is kept: the segments whose puts its ACK records name. */
  readonly segments: readonly { readonly segId: number; readonly refs: readonly number[] }[];
  readonly entries: readonly CheckpointEntry[];
  /** The most recent committed transaction ids, oldest first. */
  readonly txIds: readonly string[];
}

class Writer {
  buf = Buffer.allocUnsafe(64 * 1024);
  pos = 0;
  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  u32(v: number): void {
    this.room(4);
    this.buf.writeUInt32LE(v, this.pos);
    this.pos += 4;
  }
  f64(v: number): void {
    this.room(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }
  str(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.u32(b.length);
    this.room(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
  }
}

class Reader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}
  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new Error('checkpoint body truncated');
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  f64(): number {
    this.need(8);
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }
  str(): string {
    const n = this.u32();
    this.need(n);
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  get done(): boolean {
    return this.pos === this.buf.length;
  }
}

export function encodeCheckpoint(cp: CheckpointData): Buffer {
  const w = new Writer();
  w.f64(cp.createdAt);
  w.f64(cp.nextPutSeq);
  w.f64(cp.nextSegId);
  w.u32(cp.positions.length);
  for (const p of cp.positions) {
    w.f64(p.segId);
    w.f64(p.offset);
  }
  w.u32(cp.segments.length);
  for (const s of cp.segments) {
    w.f64(s.segId);
    w.u32(s.refs.length);
    for (const r of s.refs) w.f64(r);
  }
  w.u32(cp.entries.length);
  for (const e of cp.entries) {
    w.f64(e.seq);
    w.f64(e.segId);
    w.f64(e.recOffset);
    w.f64(e.recLen);
    w.u32(e.batchOffset);
    w.u32(e.count);
    w.u32(e.acked.length);
    for (const a of e.acked) w.u32(a);
  }
  w.u32(cp.txIds.length);
  for (const t of cp.txIds) w.str(t);
  const body = w.buf.subarray(0, w.pos);
  const header = Buffer.alloc(HEADER_SIZE);
  MAGIC.copy(header, 0);
  header.writeUInt32LE(FORMAT_VERSION, 8);
  header.writeUInt32LE(0, 12);
  header.writeDoubleLE(body.length, 16);
  header.writeUInt32LE(crc32(body), 24);
  header.writeUInt32LE(crc32(header.subarray(0, 28)), 28);
  return Buffer.concat([header, body]);
}

export type CheckpointRead =
  | { kind: 'ok'; data: CheckpointData }
  | { kind: 'missing' }
  | { kind: 'bad'; reason: string }
  | { kind: 'newer'; version: number };

export function decodeCheckpoint(b: Buffer): CheckpointRead {
  if (b.length < HEADER_SIZE || !b.subarray(0, 8).equals(MAGIC)) return { kind: 'bad', reason: 'not a Sluice checkpoint' };
  if (crc32(b.subarray(0, 28)) !== b.readUInt32LE(28)) return { kind: 'bad', reason: 'header checksum mismatch' };
  const version = b.readUInt32LE(8);
  if (version > FORMAT_VERSION) return { kind: 'newer', version };
  const len = b.readDoubleLE(16);
  if (len !== b.length - HEADER_SIZE) return { kind: 'bad', reason: `truncated (${b.length - HEADER_SIZE} of ${len} body bytes)` };
  const body = b.subarray(HEADER_SIZE);
  if (crc32(body) !== b.readUInt32LE(24)) return { kind: 'bad', reason: 'body checksum mismatch' };
  try {
    const r = new Reader(body);
    const createdAt = r.f64();
    const nextPutSeq = r.f64();
    const nextSegId = r.f64();
    const positions = Array.from({ length: r.u32() }, () => ({ segId: r.f64(), offset: r.f64() }));
    const segments = Array.from({ length: r.u32() }, () => {
      const segId = r.f64();
      return { segId, refs: Array.from({ length: r.u32() }, () => r.f64()) };
    });
    const nEntries = r.u32();
    const entries: CheckpointEntry[] = [];
    for (let i = 0; i < nEntries; i++) {
      const seq = r.f64();
      const segId = r.f64();
      const recOffset = r.f64();
      const recLen = r.f64();
      const batchOffset = r.u32();
      const count = r.u32();
      const acked = Array.from({ length: r.u32() }, () => r.u32());
      entries.push({ seq, segId, recOffset, recLen, batchOffset, count, acked });
    }
    const txIds = Array.from({ length: r.u32() }, () => r.str());
    if (!r.done) return { kind: 'bad', reason: 'trailing bytes' };
    return { kind: 'ok', data: { createdAt, nextPutSeq, nextSegId, positions, segments, entries, txIds } };
  } catch (err) {
    return { kind: 'bad', reason: (err as Error).message };
  }
}

/** Reads `dir/checkpoint`; a missing file is 'missing', an unreadable or damaged one 'bad'. */
export function readCheckpoint(dir: string): CheckpointRead {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(path.join(dir, CHECKPOINT_FILE));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'bad', reason: (err as Error).message };
  }
  return decodeCheckpoint(bytes);
}

function writeAll(fd: number, b: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const step = (off: number): void => {
      fs.write(fd, b, off, b.length - off, off, (err, n) => {
        if (err) reject(err);
        else if (off + n >= b.length) resolve();
        else if (n === 0) reject(Object.assign(new Error('short write'), { code: 'ENOSPC' }));
        else step(off + n);
      });
    };
    step(0);
  });
}

/**
 * Replaces `dir/checkpoint` atomically: write `checkpoint.tmp`, fdatasync, rename over the old
 * one, fsync the directory. A crash at any point leaves either the old or the new checkpoint.
 */
export async function writeCheckpoint(dir: string, bytes: Buffer): Promise<void> {
  const tmp = path.join(dir, `${CHECKPOINT_FILE}.tmp`);
  const fh = await fs.promises.open(tmp, 'w');
  try {
    await writeAll(fh.fd, bytes);
    await fh.datasync();
  } catch (err) {
    await fh.close();
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  await fs.promises.rename(tmp, path.join(dir, CHECKPOINT_FILE));
  fsyncDir(dir);
}
