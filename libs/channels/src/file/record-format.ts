import { crc32 } from './crc32.js';

/*
 * The byte layout of segment files (documented in docs/file-channel.md). All integers are
 * little-endian; 64-bit quantities are stored as float64 holding an integer below 2^53.
 */

/**
 * Version of the segment and checkpoint formats this code writes (and the newest it reads).
 * 2: a segment may end with zero padding after its last record (direct writes); version 1 code
 * would take that for damage, so it must refuse these files as newer.
 */
export const FORMAT_VERSION = 2;

export const SEGMENT_MAGIC = Buffer.from('SLUICELG', 'latin1');
export const SEGMENT_HEADER_SIZE = 40;

export const RECORD_MAGIC = Buffer.from('SLRC', 'latin1');
const RECORD_MAGIC_U32 = RECORD_MAGIC.readUInt32LE(0);
export const RECORD_HEADER_SIZE = 16;
/** Payloads above this are treated as a damaged length field. */
export const MAX_PAYLOAD = 0x7fff_ffff;

export const enum RecordType {
  /** A committed batch: putSeq, event count, txId, then the encoded batch bytes as received. */
  PUT = 1,
  /** Events removed for good: a list of (putSeq, from, to) event ranges. */
  ACK = 2,
}

export interface SegmentHeader {
  readonly version: number;
  readonly salt: number;
  readonly id: number;
  /** The next put sequence number when the segment was created (a lower bound after restart). */
  readonly firstPutSeq: number;
}

export function encodeSegmentHeader(h: SegmentHeader): Buffer {
  const b = Buffer.alloc(SEGMENT_HEADER_SIZE);
  SEGMENT_MAGIC.copy(b, 0);
  b.writeUInt32LE(h.version, 8);
  b.writeUInt32LE(h.salt >>> 0, 12);
  b.writeDoubleLE(h.id, 16);
  b.writeDoubleLE(h.firstPutSeq, 24);
  b.writeUInt32LE(0, 32);
  b.writeUInt32LE(crc32(b.subarray(0, 36)), 36);
  return b;
}

export type HeaderCheck =
  | { ok: true; header: SegmentHeader }
  | { ok: false; reason: string; newerVersion?: number };

export function decodeSegmentHeader(b: Buffer): HeaderCheck {
  if (b.length < SEGMENT_HEADER_SIZE) return { ok: false, reason: `header truncated (${b.length} bytes)` };
  if (!b.subarray(0, 8).equals(SEGMENT_MAGIC)) return { ok: false, reason: 'not a Sluice segment (bad magic)' };
  if (crc32(b.subarray(0, 36)) !== b.readUInt32LE(36)) return { ok: false, reason: 'header checksum mismatch' };
  const version = b.readUInt32LE(8);
  if (version > FORMAT_VERSION) {
    return { ok: false, reason: `written by a newer format (version ${version})`, newerVersion: version };
  }
  return {
    ok: true,
    header: { version, salt: b.readUInt32LE(12), id: b.readDoubleLE(16), firstPutSeq: b.readDoubleLE(24) },
  };
}

/**
 * Record header (16 bytes): magic "SLRC", u8 type, u8 flags (0), u16 reserved (0), u32 payload
 * length, u32 CRC-32 over header bytes 0..12 then the payload, seeded with the segment's salt (so a
 * record embedded in an event body can never pass for a record of this segment).
 */
function writeRecordHeader(b: Buffer, type: RecordType, payloadLen: number): void {
  b.writeUInt32LE(RECORD_MAGIC_U32, 0);
  b[4] = type;
  b[5] = 0;
  b.writeUInt16LE(0, 6);
  b.writeUInt32LE(payloadLen, 8);
}

/** Byte size of a PUT record's metadata (before the batch bytes). */
export function putMetaSize(txId: Buffer): number {
  return 8 + 4 + 2 + txId.length;
}

/**
 * Builds a PUT record as two buffers (header+metadata, then the batch bytes untouched) for one
 * writev. Returns the offset of the batch bytes within the record.
 */
export function encodePut(
  salt: number,
  putSeq: number,
  count: number,
  txId: Buffer,
  batch: Buffer,
): { head: Buffer; batchOffset: number; length: number } {
  const metaLen = putMetaSize(txId);
  const head = Buffer.allocUnsafe(RECORD_HEADER_SIZE + metaLen);
  writeRecordHeader(head, RecordType.PUT, metaLen + batch.length);
  let o = RECORD_HEADER_SIZE;
  head.writeDoubleLE(putSeq, o);
  o += 8;
  head.writeUInt32LE(count, o);
  o += 4;
  head.writeUInt16LE(txId.length, o);
  o += 2;
  txId.copy(head, o);
  let crc = crc32(head.subarray(0, 12), salt);
  crc = crc32(head.subarray(RECORD_HEADER_SIZE), crc);
  crc = crc32(batch, crc);
  head.writeUInt32LE(crc, 12);
  return { head, batchOffset: head.length, length: head.length + batch.length };
}

/** One acknowledged event range: events [from, to) of the batch with putSeq. */
export interface AckRange {
  readonly putSeq: number;
  readonly from: number;
  readonly to: number;
}

export function encodeAck(salt: number, ranges: readonly AckRange[]): Buffer {
  const payloadLen = 4 + ranges.length * 16;
  const b = Buffer.allocUnsafe(RECORD_HEADER_SIZE + payloadLen);
  writeRecordHeader(b, RecordType.ACK, payloadLen);
  let o = RECORD_HEADER_SIZE;
  b.writeUInt32LE(ranges.length, o);
  o += 4;
  for (const r of ranges) {
    b.writeDoubleLE(r.putSeq, o);
    b.writeUInt32LE(r.from, o + 8);
    b.writeUInt32LE(r.to, o + 12);
    o += 16;
  }
  let crc = crc32(b.subarray(0, 12), salt);
  crc = crc32(b.subarray(RECORD_HEADER_SIZE), crc);
  b.writeUInt32LE(crc, 12);
  return b;
}

export interface RecordHead {
  readonly type: number;
  readonly payloadLen: number;
  readonly crc: number;
}

/** Reads a record header at `o` if it is plausible (magic, flags, length); undefined otherwise. */
export function readRecordHead(b: Buffer, o: number): RecordHead | undefined {
  if (o + RECORD_HEADER_SIZE > b.length) return undefined;
  if (b.readUInt32LE(o) !== RECORD_MAGIC_U32) return undefined;
  const type = b[o + 4]!;
  if (b[o + 5] !== 0 || b.readUInt16LE(o + 6) !== 0) return undefined;
  const payloadLen = b.readUInt32LE(o + 8);
  if (payloadLen > MAX_PAYLOAD) return undefined;
  return { type, payloadLen, crc: b.readUInt32LE(o + 12) };
}

/** True when the record at `o` (whose whole payload is in `b`) has a valid checksum. */
export function recordCrcOk(b: Buffer, o: number, head: RecordHead, salt: number): boolean {
  const crc = crc32(b.subarray(o + RECORD_HEADER_SIZE, o + RECORD_HEADER_SIZE + head.payloadLen), crc32(b.subarray(o, o + 12), salt));
  return crc === head.crc;
}

export interface PutMeta {
  readonly putSeq: number;
  readonly count: number;
  readonly txId: string;
  /** Offset of the batch bytes from the start of the record. */
  readonly batchOffset: number;
  readonly batchLen: number;
}

/** Parses the metadata of a PUT record whose checksum was verified; undefined if inconsistent. */
export function decodePutMeta(b: Buffer, o: number, head: RecordHead): PutMeta | undefined {
  const p = o + RECORD_HEADER_SIZE;
  if (head.payloadLen < 14) return undefined;
  const txLen = b.readUInt16LE(p + 12);
  const metaLen = 14 + txLen;
  if (metaLen > head.payloadLen) return undefined;
  return {
    putSeq: b.readDoubleLE(p),
    count: b.readUInt32LE(p + 8),
    txId: b.toString('utf8', p + 14, p + 14 + txLen),
    batchOffset: RECORD_HEADER_SIZE + metaLen,
    batchLen: head.payloadLen - metaLen,
  };
}

/** Parses an ACK record whose checksum was verified; undefined if inconsistent. */
export function decodeAck(b: Buffer, o: number, head: RecordHead): AckRange[] | undefined {
  const p = o + RECORD_HEADER_SIZE;
  if (head.payloadLen < 4) return undefined;
  const n = b.readUInt32LE(p);
  if (4 + n * 16 !== head.payloadLen) return undefined;
  const out: AckRange[] = [];
  for (let i = 0, q = p + 4; i < n; i++, q += 16) {
    out.push({ putSeq: b.readDoubleLE(q), from: b.readUInt32LE(q + 8), to: b.readUInt32LE(q + 12) });
  }
  return out;
}
