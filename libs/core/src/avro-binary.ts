import { SluiceError } from './errors.js';

/** Builds the error an {@link AvroReader} throws on bytes that do not hold what was asked for. */
export type MalformedError = (why: string) => Error;

/** The error of bytes that should hold a batch and do not: `SLUICE_ERR_MALFORMED_BATCH`. */
export function malformedBatch(why: string): SluiceError {
  return new SluiceError('SLUICE_ERR_MALFORMED_BATCH', `malformed batch: ${why}`);
}

/** The multiplier of a varint's tenth byte: a long takes at most 10 bytes. */
const LAST_VARINT_BYTE = 2 ** 63;

/**
 * A bounded reader of Avro binary values (zig-zag varint longs, length-prefixed bytes and
 * strings) for bytes that may come from anywhere. Every length is checked against the bytes
 * left before anything is read or allocated, so a hostile length (negative, 2^62) fails at once:
 * nothing the reader returns is larger than its input. Errors come from `malformed`
 * (`SLUICE_ERR_MALFORMED_BATCH` unless told otherwise); `what` names the value in their message.
 */
export class AvroReader {
  constructor(
    readonly buf: Buffer,
    /** Where the next value starts. */
    public pos = 0,
    private readonly malformed: MalformedError = malformedBatch,
  ) {}

  /** Bytes after `pos`. */
  get remaining(): number {
    return this.buf.length - this.pos;
  }

  /** Throws the reader's error. */
  fail(why: string): never {
    throw this.malformed(why);
  }

  /** A zig-zag varint (Avro int or long) of at most 10 bytes, exact for magnitudes up to 2^52. */
  long(what = 'varint'): number {
    const buf = this.buf;
    const p = this.pos;
    if (p + 1 < buf.length) {
      // One or two bytes (under 8 KiB): the lengths and counts of ordinary batches.
      const b = buf[p]!;
      if (b < 0x80) {
        this.pos = p + 1;
        return (b >>> 1) ^ -(b & 1);
      }
      const b1 = buf[p + 1]!;
      if (b1 < 0x80) {
        const z = (b & 0x7f) | (b1 << 7);
        this.pos = p + 2;
        return (z >>> 1) ^ -(z & 1);
      }
    }
    return this.longerLong(what);
  }

  /** The length prefix of bytes or a string, checked to fit in what is left. */
  length(what = 'length'): number {
    const len = this.long(what);
    if (len < 0 || len > this.buf.length - this.pos) this.pastTheEnd(len, what);
    return len;
  }

  /** Length-prefixed bytes, as a view of the input. */
  bytes(what = 'bytes'): Buffer {
    const len = this.length(what);
    const start = this.pos;
    this.pos = start + len;
    return this.buf.subarray(start, start + len);
  }

  /** A length-prefixed UTF-8 string. */
  string(what = 'string'): string {
    const len = this.length(what);
    const start = this.pos;
    this.pos = start + len;
    return this.buf.toString('utf8', start, start + len);
  }

  /** Steps over length-prefixed bytes or a string. */
  skipBytes(what = 'bytes'): void {
    const len = this.length(what);
    this.pos += len;
  }

  /** `size` bytes as they are (an Avro fixed), as a view of the input. */
  fixed(size: number, what = 'fixed'): Buffer {
    if (size > this.buf.length - this.pos) this.fail(`truncated ${what}`);
    const start = this.pos;
    this.pos = start + size;
    return this.buf.subarray(start, start + size);
  }

  /**
   * The item count of the next block of an array or map (0 ends it), its byte size skipped when
   * given; a count the bytes left cannot hold at `minItemBytes` per item is refused.
   */
  blockCount(minItemBytes: number, what = 'block'): number {
    let count = this.long(what);
    if (count < 0) {
      count = -count;
      this.long(what);
    }
    if (count * minItemBytes > this.buf.length - this.pos) this.overclaimed(count, what);
    return count;
  }

  /** `long` past its one- and two-byte fast paths (kept apart so that `long` stays small enough to inline). */
  private longerLong(what: string): number {
    const buf = this.buf;
    let p = this.pos;
    let n = 0;
    for (let mul = 1; ; mul *= 0x80) {
      if (p >= buf.length) this.fail(`truncated ${what}`);
      const b = buf[p++]!;
      n += (b & 0x7f) * mul;
      if (b < 0x80) break;
      if (mul >= LAST_VARINT_BYTE) this.fail(`${what}: varint too long`);
    }
    this.pos = p;
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }

  private pastTheEnd(len: number, what: string): never {
    this.fail(`${what}: length ${len} with ${this.buf.length - this.pos} bytes left`);
  }

  private overclaimed(count: number, what: string): never {
    this.fail(`${count} ${what} claimed in ${this.buf.length - this.pos} bytes`);
  }
}

/**
 * Writes the Avro (zig-zag varint) encoding of a non-negative length or count `n` into `buf` at
 * `pos` (up to 10 bytes; the caller makes room); returns the position after it.
 */
export function writeLength(buf: Uint8Array, pos: number, n: number): number {
  let z = n * 2;
  while (z >= 0x80) {
    buf[pos++] = (z % 0x80) | 0x80;
    z = Math.floor(z / 0x80);
  }
  buf[pos++] = z;
  return pos;
}

/** How many bytes `writeLength(…, n)` writes. */
export function lengthSize(n: number): number {
  let size = 1;
  for (let z = n * 2; z >= 0x80; z = Math.floor(z / 0x80)) size++;
  return size;
}
