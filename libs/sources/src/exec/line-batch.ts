import { Batch, frameBatch, lengthSize, writeLength, type SluiceEvent } from '@sluice/core';
import type { LineSink } from './line-splitter.js';

/** Room before the first event for the count varint, written once the batch is cut (counts < 2^31). */
const HEAD = 5;
/** Per line beyond its bytes: the empty header map, the body length varint (< 2^31), the end marker. */
const LINE_OVERHEAD = 1 + 5 + 1;
const MIN_CAPACITY = 64 * 1024;
/**
 * The last bytes of the batch buffer hold a copy of the chunk being split (this much of it at a
 * time): a line is then moved from there with copyWithin, which allocates nothing, where copying
 * it from the chunk would need a view object per line.
 */
const STAGE = 32 * 1024;

/**
 * Encodes lines straight into the bytes of a batch, each an event with no headers and the line
 * as its body: the Avro `array<AvroFlumeEvent>` that core's encodeBatch writes, byte for byte,
 * without building event objects. The batch buffer is handed over when the batch is cut (a
 * small batch is copied out instead, and the buffer kept), so no byte of a cut batch is written
 * again.
 *
 * Lines are copied in two steps: a stretch of the chunk (up to STAGE bytes from a line's start)
 * into the end of the batch buffer, then each line from there to its place in the batch.
 */
export class LineBatchEncoder implements LineSink {
  private buf: Buffer;
  /** Where the batch must end: the staged copy of the chunk follows. */
  private limit: number;
  private pos = HEAD;
  private lines = 0;
  /** The chunk whose bytes [stagedFrom, stagedTo) are at `limit` in `buf`, if any. */
  private staged: Buffer | undefined;
  private stagedFrom = 0;
  private stagedTo = 0;

  /** `onFull` is called (from `line`) when the batch holds `batchSize` lines. */
  constructor(
    private readonly batchSize: number,
    private readonly onFull: () => void,
  ) {
    this.buf = Buffer.allocUnsafeSlow(MIN_CAPACITY + STAGE);
    this.limit = MIN_CAPACITY;
  }

  /** Lines in the batch being built. */
  get count(): number {
    return this.lines;
  }

  chunk(): void {
    this.staged = undefined;
  }

  line(bytes: Buffer, start: number, end: number): void {
    const len = end - start;
    let pos = this.pos;
    if (pos + len + LINE_OVERHEAD > this.limit) this.grow(pos + len + LINE_OVERHEAD);
    const buf = this.buf;
    buf[pos++] = 0; // no headers
    pos = writeLength(buf, pos, len); // the body length (a line of under 8 KiB takes 1 or 2 bytes)
    if (len > 0) {
      if (bytes !== this.staged || start < this.stagedFrom || end > this.stagedTo) {
        if (len > STAGE || end === bytes.length) {
          // A long line, or the last of its bytes (e.g. joined from pieces): copy it directly.
          buf.set(new Uint8Array(bytes.buffer, bytes.byteOffset + start, len), pos);
          this.pos = pos + len;
          if (++this.lines >= this.batchSize) this.onFull();
          return;
        }
        this.stage(bytes, start);
      }
      const from = this.limit + start - this.stagedFrom;
      buf.copyWithin(pos, from, from + len);
      pos += len;
    }
    this.pos = pos;
    if (++this.lines >= this.batchSize) this.onFull();
  }

  /** Cuts the batch built so far; undefined if it has no line. */
  take(): Batch | undefined {
    const count = this.lines;
    if (count === 0) return undefined;
    const buf = this.buf;
    const end = this.pos;
    buf[end] = 0; // the end of the array (room kept by LINE_OVERHEAD)
    const first = HEAD - lengthSize(count);
    writeLength(buf, first, count);
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
    this.lines = 0;
    return new LineBatch(bytes, count);
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

/**
 * A batch of lines: when a component needs its events (an interceptor, a per-event selector),
 * they are read back from its bytes directly, each body a view of them.
 */
class LineBatch extends Batch {
  private lineEvents: SluiceEvent[] | undefined;

  override events(): readonly SluiceEvent[] {
    return (this.lineEvents ??= readLines(this.bytes));
  }
}

/** The events of a batch of lines (no headers), each body a view of the batch's bytes. */
function readLines(bytes: Buffer): SluiceEvent[] {
  const { ends, bodyLens } = frameBatch(bytes);
  return ends.map((end, i) => ({ headers: {}, body: bytes.subarray(end - bodyLens[i]!, end) }));
}
