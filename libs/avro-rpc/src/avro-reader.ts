import { SluiceError } from '@sluice/core';

/**
 * A bounded reader of Avro binary values for bytes that come from the network. Every length and
 * block count is checked against the bytes actually left before anything is read, so a hostile
 * count (2^62 map entries, a negative string length) fails at once instead of spinning: avsc's
 * generic decoder trusts counts, which is fine for our own encoded batches, not for a peer's.
 */
export class AvroReader {
  constructor(
    readonly buf: Buffer,
    public pos = 0,
  ) {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  /** A zig-zag varint (Avro int or long), exact up to 2^53. */
  long(what: string): number {
    let n = 0;
    let shift = 0;
    let b: number;
    do {
      if (this.pos >= this.buf.length) throw malformed(`truncated ${what}`);
      if (shift > 63) throw malformed(`${what}: varint too long`);
      b = this.buf[this.pos++]!;
      n += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }

  bytes(what: string): Buffer {
    const len = this.long(what);
    if (len < 0 || len > this.remaining) throw malformed(`${what}: length ${len} with ${this.remaining} bytes left`);
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  string(what: string): string {
    return this.bytes(what).toString('utf8');
  }

  fixed(size: number, what: string): Buffer {
    if (size > this.remaining) throw malformed(`truncated ${what}`);
    const out = this.buf.subarray(this.pos, this.pos + size);
    this.pos += size;
    return out;
  }

  /** A union's branch index, which must be below `branches`. */
  branch(branches: number, what: string): number {
    const i = this.long(what);
    if (i < 0 || i >= branches) throw malformed(`${what}: union branch ${i}`);
    return i;
  }

  /** An enum index, which must be below `symbols`. */
  enumIndex(symbols: number, what: string): number {
    const i = this.long(what);
    if (i < 0 || i >= symbols) throw malformed(`${what}: enum index ${i}`);
    return i;
  }

  /** `map<bytes>`: blocks of (count, [byte size,] entries) ending with a 0 count. */
  mapOfBytes(what: string): Record<string, Buffer> {
    const out: Record<string, Buffer> = Object.create(null) as Record<string, Buffer>;
    for (;;) {
      let count = this.long(`${what} block count`);
      if (count === 0) return out;
      if (count < 0) {
        count = -count;
        this.long(`${what} block size`);
      }
      // Each entry takes at least two bytes (two lengths): a larger count cannot be honest.
      if (count * 2 > this.remaining) throw malformed(`${what}: ${count} entries with ${this.remaining} bytes left`);
      for (let i = 0; i < count; i++) {
        const key = this.string(`${what} key`);
        out[key] = this.bytes(`${what} value`);
      }
    }
  }
}

export function malformed(why: string): SluiceError {
  return new SluiceError('SLUICE_ERR_PROTOCOL', `malformed Avro IPC message: ${why}`);
}
