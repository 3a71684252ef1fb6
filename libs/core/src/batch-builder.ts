import { lengthSize, malformedBatch, writeLength } from './avro-binary.js';

/** Room before the first event for the count varint, written once the batch is finished (counts < 2^34). */
const HEAD = 5;
/** Per event beyond its body and headers: the body length varint (bodies < 2^34 bytes), the array's end marker. */
const BODY_OVERHEAD = 5 + 1;
const MIN_CAPACITY = 64 * 1024;
/**
 * The last bytes of the batch buffer hold a copy of the buffer bodies are being appended from
 * (this much of it at a time): a body is then moved from there with copyWithin, which allocates
 * nothing, where copying it from its own buffer would need a view object per body.
 */
const STAGE = 32 * 1024;

/** The Avro encoding of a header map (one block, in insertion order, then the end marker). */
function encodeHeaders(headers: Readonly<Record<string, string>>): Buffer {
  const keys = Object.keys(headers);
  if (keys.length === 0) return Buffer.from([0]);
  const strings: Buffer[] = [];
  for (const k of keys) {
    const v = headers[k];
    if (typeof v !== 'string') throw malformedBatch(`header ${JSON.stringify(k)} is not a string`);
    strings.push(Buffer.from(k, 'utf8'), Buffer.from(v, 'utf8'));
  }
  const out = Buffer.allocUnsafe(lengthSize(keys.length) + strings.reduce((n, s) => n + lengthSize(s.length) + s.length, 0) + 1);
  let pos = writeLength(out, 0, keys.length);
  for (const s of strings) {
    pos = writeLength(out, pos, s.length);
    pos += s.copy(out, pos);
  }
  out[pos] = 0;
  return out;
}

/**
 * Writes events straight into the bytes of a batch, the Avro `array<AvroFlumeEvent>` that
 * encodeBatch writes, byte for byte, without building event objects: each event is a body
 * appended as a range of a buffer, with the builder's fixed headers (none by default), for
 * sources that cut a stream into events (lines). The batch buffer is handed over by `finish`
 * (a small batch is copied out instead, and the buffer kept), so no byte of a finished batch is
 * written again.
 *
 * Bodies appended in turn from one buffer (a chunk being cut into lines) are copied in two steps:
 * a stretch of that buffer (up to STAGE bytes from a body's start) into the end of the batch
 * buffer, then each body from there to its place. That copy is reused while bodies come from the
 * same buffer, across `finish` too: the bytes of a buffer appended from must not change until
 * `release()` is called.
 */
export class BatchBuilder {
  /** The encoded header map every event carries. */
  private readonly head: Buffer;
  private readonly overhead: number;
  private buf: Buffer;
  /** Where the batch must end: the staged copy follows. */
  private limit: number;
  private pos = HEAD;
  private events = 0;
  /** The buffer whose bytes [stagedFrom, stagedTo) are at `limit` in `buf`, if any. */
  private staged: Buffer | undefined;
  private stagedFrom = 0;
  private stagedTo = 0;

  /** Throws SLUICE_ERR_MALFORMED_BATCH if a header value is not a string. */
  constructor(headers: Readonly<Record<string, string>> = {}) {
    this.head = encodeHeaders(headers);
    this.overhead = this.head.length + BODY_OVERHEAD;
    this.buf = Buffer.allocUnsafeSlow(MIN_CAPACITY + STAGE);
    this.limit = MIN_CAPACITY;
  }

  /** Events in the batch being built. */
  get count(): number {
    return this.events;
  }

  /** Appends an event whose body is `bytes[start, end)`, copied at once or from the staged copy of `bytes`. */
  append(bytes: Buffer, start = 0, end = bytes.length): void {
    const len = end - start;
    let pos = this.pos;
    if (pos + len + this.overhead > this.limit) this.grow(pos + len + this.overhead);
    const buf = this.buf;
    const head = this.head;
    if (head.length === 1) buf[pos++] = 0;
    else {
      buf.set(head, pos);
      pos += head.length;
    }
    pos = writeLength(buf, pos, len); // a body of under 8 KiB takes 1 or 2 bytes
    this.events++;
    if (len === 0) {
      this.pos = pos;
      return;
    }
    if (bytes !== this.staged || start < this.stagedFrom || end > this.stagedTo) {
      if (len > STAGE || end === bytes.length) {
        // A long body, or the last bytes of its buffer (e.g. a line joined from pieces): copy it directly.
        buf.set(new Uint8Array(bytes.buffer, bytes.byteOffset + start, len), pos);
        this.pos = pos + len;
        return;
      }
      this.stage(bytes, start);
    }
    const from = this.limit + start - this.stagedFrom;
    buf.copyWithin(pos, from, from + len);
    this.pos = pos + len;
  }

  /** Forgets the staged copy: the bytes of buffers appended from so far may change after this. */
  release(): void {
    this.staged = undefined;
  }

  /** The batch built so far (the empty batch if no event was appended); the builder starts a new one. */
  finish(): Buffer {
    const count = this.events;
    const buf = this.buf;
    const end = this.pos;
    buf[end] = 0; // the end of the array (room kept by BODY_OVERHEAD, or by HEAD when empty)
    const first = count === 0 ? end : HEAD - lengthSize(count);
    if (count > 0) writeLength(buf, first, count);
    const size = end + 1 - first;
    let bytes: Buffer;
    if (size * 2 < this.limit) {
      // Mostly empty: copy out what is used and keep the buffer.
      bytes = Buffer.allocUnsafe(size);
      buf.copy(bytes, 0, first, end + 1);
    } else {
      bytes = buf.subarray(first, end + 1);
      this.limit = Math.max(MIN_CAPACITY, size + (size >> 2));
      this.buf = Buffer.allocUnsafeSlow(this.limit + STAGE);
      this.staged = undefined;
    }
    this.pos = HEAD;
    this.events = 0;
    return bytes;
  }

  /** Copies `bytes` from `start` (up to STAGE bytes) to the staging area. */
  private stage(bytes: Buffer, start: number): void {
    const n = Math.min(bytes.length - start, STAGE);
    this.buf.set(new Uint8Array(bytes.buffer, bytes.byteOffset + start, n), this.limit);
    this.staged = bytes;
    this.stagedFrom = start;
    this.stagedTo = start + n;
  }

  private grow(needed: number): void {
    this.limit = Math.max(needed, this.limit * 2);
    const bigger = Buffer.allocUnsafeSlow(this.limit + STAGE);
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
    this.staged = undefined;
  }
}
