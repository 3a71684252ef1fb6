import { SluiceError, type Batch } from '@sluice/core';
import { javaMapString } from '../java-map.js';

/** What a file_roll serializer turns a batch into: the bytes to append, in one buffer. */
export type Serializer = (batch: Batch) => Buffer;

function malformed(why: string): SluiceError {
  return new SluiceError('SLUICE_ERR_MALFORMED_BATCH', `malformed batch: ${why}`);
}

/**
 * `TEXT`: each body, plus `\n` when appendNewline. Reads the bodies straight out of the encoded
 * batch (Avro `array<{headers: map<string>, body: bytes}>`) without building event objects, and
 * copies them into one buffer: the output is never larger than the encoded batch, since each
 * encoded event carries at least two bytes besides its body.
 */
export function textPayload(bytes: Buffer, appendNewline: boolean): Buffer {
  const out = Buffer.allocUnsafe(bytes.length);
  const end = bytes.length;
  let p = 0;
  let o = 0;
  const long = (): number => {
    let n = 0;
    let shift = 0;
    let b: number;
    do {
      if (p >= end) throw malformed('truncated varint');
      b = bytes[p++]!;
      n += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if (shift > 63) throw malformed('varint too long');
    } while (b & 0x80);
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  };
  const skip = (len: number): void => {
    if (len < 0 || p + len > end) throw malformed('length past the end of the batch');
    p += len;
  };
  for (;;) {
    let count = long();
    if (count === 0) break;
    if (count < 0) {
      count = -count;
      long();
    }
    for (let i = 0; i < count; i++) {
      for (;;) {
        let entries = long();
        if (entries === 0) break;
        if (entries < 0) {
          entries = -entries;
          long();
        }
        for (let j = 0; j < entries; j++) {
          skip(long());
          skip(long());
        }
      }
      const bodyLength = long();
      const start = p;
      skip(bodyLength);
      o += bytes.copy(out, o, start, p);
      if (appendNewline) out[o++] = 10;
    }
  }
  if (p !== end) throw malformed('trailing bytes after the array');
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
