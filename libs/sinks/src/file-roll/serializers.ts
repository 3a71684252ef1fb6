import { SluiceError, type Batch } from '@sluice/core';
import { javaMapString } from '../java-map.js';

/** What a file_roll serializer turns a batch into: the bytes to append, in one buffer. */
export type Serializer = (batch: Batch) => Buffer;

function malformed(why: string): SluiceError {
  return new SluiceError('SLUICE_ERR_MALFORMED_BATCH', `malformed batch: ${why}`);
}

/** Reads an encoded batch: zig-zag varints and skips, with bounds checks and no allocation. */
class AvroReader {
  pos = 0;
  constructor(private readonly bytes: Buffer) {}

  long(): number {
    const bytes = this.bytes;
    let p = this.pos;
    if (p >= bytes.length) throw malformed('truncated varint');
    let b = bytes[p++]!;
    let n = b & 0x7f;
    for (let mul = 0x80; b & 0x80; mul *= 0x80) {
      if (p >= bytes.length) throw malformed('truncated varint');
      if (mul > 2 ** 56) throw malformed('varint too long');
      b = bytes[p++]!;
      n += (b & 0x7f) * mul;
    }
    this.pos = p;
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }

  skip(len: number): void {
    if (len < 0 || this.pos + len > this.bytes.length) throw malformed('length past the end of the batch');
    this.pos += len;
  }
}

/**
 * `TEXT`: each body, plus `\n` when appendNewline. Reads the bodies straight out of the encoded
 * batch (Avro `array<{headers: map<string>, body: bytes}>`) without building event objects:
 * copies the whole batch once, then moves each body down to its place in that copy (copyWithin:
 * no allocation per event). The output never overtakes the bodies still to move, since each
 * encoded event carries at least two bytes besides its body. `into`, when given, is a buffer of at
 * least `bytes.length` bytes to build the payload in (reused from batch to batch by the sink).
 */
export function textPayload(bytes: Buffer, appendNewline: boolean, into?: Buffer): Buffer {
  if (into !== undefined && into.length < bytes.length) throw new RangeError('textPayload: `into` is smaller than the batch');
  const out = into ?? Buffer.allocUnsafe(bytes.length);
  bytes.copy(out, 0);
  const r = new AvroReader(bytes);
  let o = 0;
  for (;;) {
    let count = r.long();
    if (count === 0) break;
    if (count < 0) {
      count = -count;
      r.long(); // block size in bytes
    }
    for (let i = 0; i < count; i++) {
      for (;;) {
        let entries = r.long();
        if (entries === 0) break;
        if (entries < 0) {
          entries = -entries;
          r.long();
        }
        for (let j = 0; j < 2 * entries; j++) r.skip(r.long());
      }
      const bodyLength = r.long();
      const start = r.pos;
      r.skip(bodyLength);
      out.copyWithin(o, start, r.pos);
      o += bodyLength;
      if (appendNewline) out[o++] = 10;
    }
  }
  if (r.pos !== bytes.length) throw malformed('trailing bytes after the array');
  return out.subarray(0, o);
}

/** `header_and_text`: `{k=v, ...} ` + body (+ `\n` when appendNewline), as Flume's HeaderAndBodyTextEventSerializer. */
export function headerAndTextPayload(batch: Batch, appendNewline: boolean): Buffer {
  const parts: Buffer[] = [];
  for (const event of batch.events()) {
    parts.push(Buffer.from(`${javaMapString(event.headers)} `, 'utf8'), event.body);
    if (appendNewline) parts.push(NEWLINE);
  }
  return Buffer.concat(parts);
}

const NEWLINE = Buffer.from('\n');
