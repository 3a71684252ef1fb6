import { AvroReader, SluiceError } from '@sluice/core';

/** The error of a malformed Avro IPC message: `SLUICE_ERR_PROTOCOL`. */
export function malformed(why: string): SluiceError {
  return new SluiceError('SLUICE_ERR_PROTOCOL', `malformed Avro IPC message: ${why}`);
}

/**
 * Reads the Avro values of IPC messages from the network with core's bounded AvroReader (every
 * length and count checked against the bytes left, so a hostile count fails at once: avsc's
 * generic decoder trusts counts, which is fine for our own encoded batches, not for a peer's),
 * failing with `SLUICE_ERR_PROTOCOL`, plus the values only the call format needs.
 */
export class CallReader extends AvroReader {
  constructor(buf: Buffer) {
    super(buf, 0, malformed);
  }

  /** A union's branch index, which must be below `branches`. */
  branch(branches: number, what: string): number {
    const i = this.long(what);
    if (i < 0 || i >= branches) this.fail(`${what}: union branch ${i}`);
    return i;
  }

  /** An enum index, which must be below `symbols`. */
  enumIndex(symbols: number, what: string): number {
    const i = this.long(what);
    if (i < 0 || i >= symbols) this.fail(`${what}: enum index ${i}`);
    return i;
  }

  /** `map<bytes>`: blocks of (count, [byte size,] entries) ending with a 0 count. */
  mapOfBytes(what: string): Record<string, Buffer> {
    const out: Record<string, Buffer> = Object.create(null) as Record<string, Buffer>;
    for (;;) {
      // Each entry takes at least two bytes (two lengths): a larger count cannot be honest.
      const count = this.blockCount(2, what);
      if (count === 0) return out;
      for (let i = 0; i < count; i++) {
        const key = this.string(`${what} key`);
        out[key] = this.bytes(`${what} value`);
      }
    }
  }
}
