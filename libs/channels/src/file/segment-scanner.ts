import * as fs from 'node:fs';
import { DIRECT_BLOCK } from './direct-writer.js';
import {
  decodeAck,
  decodePutMeta,
  readRecordHead,
  RECORD_HEADER_SIZE,
  RECORD_MAGIC,
  recordCrcOk,
  RecordType,
  type AckRange,
  type PutMeta,
} from './record-format.js';

const CHUNK = 8 * 1024 * 1024;

/** Sequential, chunked reads of one file: the bytes [pos, pos+len) without re-reading each time. */
class FileWindow {
  private buf = Buffer.alloc(0);
  private start = 0;

  constructor(
    private readonly fd: number,
    private readonly size: number,
  ) {}

  /** The buffer and offset holding [pos, pos+len), or undefined past the end of the file. */
  get(pos: number, len: number): { buf: Buffer; off: number } | undefined {
    if (pos + len > this.size) return undefined;
    if (pos < this.start || pos + len > this.start + this.buf.length) {
      const want = Math.min(Math.max(len, CHUNK), this.size - pos);
      const buf = this.buf.length >= want && this.buf.length <= 2 * CHUNK ? this.buf : Buffer.allocUnsafe(want);
      let got = 0;
      while (got < want) {
        const n = fs.readSync(this.fd, buf, got, want - got, pos + got);
        if (n === 0) break;
        got += n;
      }
      if (got < len) return undefined;
      this.buf = buf;
      this.start = pos;
      // Bytes past `got` in a reused buffer are stale: limit the view to what was read.
      if (got < buf.length) this.buf = buf.subarray(0, got);
    }
    return { buf: this.buf, off: pos - this.start };
  }
}

/**
 * True if [pos, size) is the zero padding a direct write leaves after its last record: fewer than
 * DIRECT_BLOCK bytes, all zero. It ends the log as cleanly as the end of the file does.
 */
function isPadding(win: FileWindow, pos: number, size: number): boolean {
  if (size - pos >= DIRECT_BLOCK) return false;
  const v = win.get(pos, size - pos);
  if (v === undefined) return false;
  for (let i = v.off; i < v.off + size - pos; i++) if (v.buf[i] !== 0) return false;
  return true;
}

export interface ScannedPut extends PutMeta {
  readonly recOffset: number;
  readonly recLen: number;
}

/** A record that failed its checks, with what could still be read of its header. */
export interface BadRecord {
  readonly offset: number;
  readonly reason: string;
  /** What the header claimed, when its magic was intact (untrusted). */
  readonly claimed?: string;
  /** True if the header named a PUT: the damaged bytes may have held a committed batch. */
  readonly maybePut: boolean;
}

export interface SegmentScan {
  readonly puts: ScannedPut[];
  readonly acks: AckRange[];
  /** Offset just after the last good record read (where a torn tail or padding would be cut). */
  readonly end: number;
  /** The first bad record after which nothing valid follows in this file (a torn-tail candidate). */
  readonly tail?: BadRecord;
  /** Damaged regions followed by valid records (only returned in repair mode), with the next good offset. */
  readonly skipped: { readonly bad: BadRecord; readonly next: number }[];
}

type RecordCheck = { ok: true; len: number } | { ok: false; bad: BadRecord };

/**
 * Reads the records of a segment from `from` to its end, checking each length and checksum.
 * A bad record followed by a valid one is corruption in the middle: `onCorrupt` decides whether to
 * throw (the default) or skip it (repair). A bad record followed only by garbage or EOF is
 * returned as `tail` for the caller to cut; a direct write's zero padding is not a bad record.
 */
export function scanSegment(
  fd: number,
  size: number,
  salt: number,
  from: number,
  onCorrupt: (bad: BadRecord, next: number) => void,
): SegmentScan {
  const win = new FileWindow(fd, size);
  const puts: ScannedPut[] = [];
  const acks: AckRange[] = [];
  const skipped: { bad: BadRecord; next: number }[] = [];

  const check = (pos: number, keep: boolean): RecordCheck => {
    const hv = win.get(pos, RECORD_HEADER_SIZE);
    if (hv === undefined) return { ok: false, bad: { offset: pos, reason: `${size - pos} trailing bytes, too few for a record header`, maybePut: false } };
    const head = readRecordHead(hv.buf, hv.off);
    if (head === undefined) return { ok: false, bad: { offset: pos, reason: 'no record header (bad magic, flags or length)', maybePut: false } };
    const maybePut = head.type === RecordType.PUT;
    const claimed = `type ${head.type}, ${head.payloadLen} payload bytes`;
    const len = RECORD_HEADER_SIZE + head.payloadLen;
    const rv = win.get(pos, len);
    if (rv === undefined) {
      return { ok: false, bad: { offset: pos, reason: `record of ${len} bytes runs past the end of the file (${size})`, claimed, maybePut } };
    }
    if (!recordCrcOk(rv.buf, rv.off, head, salt)) return { ok: false, bad: { offset: pos, reason: 'checksum mismatch', claimed, maybePut } };
    if (head.type === RecordType.PUT) {
      const meta = decodePutMeta(rv.buf, rv.off, head);
      if (meta === undefined) return { ok: false, bad: { offset: pos, reason: 'inconsistent PUT metadata', claimed, maybePut } };
      if (keep) puts.push({ ...meta, recOffset: pos, recLen: len });
    } else if (head.type === RecordType.ACK) {
      const ranges = decodeAck(rv.buf, rv.off, head);
      if (ranges === undefined) return { ok: false, bad: { offset: pos, reason: 'inconsistent ACK record', claimed, maybePut } };
      if (keep) for (const r of ranges) acks.push(r);
    } else {
      return { ok: false, bad: { offset: pos, reason: `unknown record type ${head.type}`, claimed, maybePut } };
    }
    return { ok: true, len };
  };

  /** The offset of the next valid record after `pos`, found by its magic; undefined if none. */
  const nextValid = (pos: number): number | undefined => {
    const search = new FileWindow(fd, size);
    let at = pos + 1;
    while (at + RECORD_HEADER_SIZE <= size) {
      const span = Math.min(CHUNK, size - at);
      const v = search.get(at, span);
      if (v === undefined) return undefined;
      let i = v.buf.indexOf(RECORD_MAGIC, v.off);
      while (i !== -1 && i + RECORD_MAGIC.length <= v.off + span) {
        const candidate = at + (i - v.off);
        if (check(candidate, false).ok) return candidate;
        i = v.buf.indexOf(RECORD_MAGIC, i + 1);
      }
      if (at + span >= size) break;
      at += span - (RECORD_MAGIC.length - 1);
    }
    return undefined;
  };

  let pos = from;
  let tail: BadRecord | undefined;
  while (pos < size) {
    const r = check(pos, true);
    if (r.ok) {
      pos += r.len;
      continue;
    }
    if (isPadding(win, pos, size)) break;
    const next = nextValid(pos);
    if (next === undefined) {
      tail = r.bad;
      break;
    }
    onCorrupt(r.bad, next);
    skipped.push({ bad: r.bad, next });
    pos = next;
  }
  return { puts, acks, end: tail ? tail.offset : pos, tail, skipped };
}
