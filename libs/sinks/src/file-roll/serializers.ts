import { BatchCursor, type Batch } from '@sluice/core';
import { javaMapString } from '../java-map.js';

/** What a file_roll serializer turns a batch into: the bytes to append, in one buffer. */
export type Serializer = (batch: Batch) => Buffer;

/**
 * `TEXT`: each body, plus `\n` when appendNewline. Reads the bodies straight out of the encoded
 * batch without building event objects: copies the whole batch once, then moves each body down
 * to its place in that copy (copyWithin: no allocation per event). The output never overtakes the
 * bodies still to move, since each encoded event carries at least two bytes besides its body.
 * `into`, when given, is a buffer of at least `bytes.length` bytes to build the payload in
 * (reused from batch to batch by the sink). Throws SLUICE_ERR_MALFORMED_BATCH on bytes that are
 * not a batch.
 */
export function textPayload(bytes: Buffer, appendNewline: boolean, into?: Buffer): Buffer {
  if (into !== undefined && into.length < bytes.length) throw new RangeError('textPayload: `into` is smaller than the batch');
  const out = into ?? Buffer.allocUnsafe(bytes.length);
  bytes.copy(out, 0);
  const c = new BatchCursor(bytes);
  let o = 0;
  while (c.next()) {
    const start = c.bodyStart;
    const end = c.end;
    out.copyWithin(o, start, end);
    o += end - start;
    if (appendNewline) out[o++] = 10;
  }
  return out.subarray(0, o);
}

/**
 * `header_and_text`: `{k=v, ...} ` + body (+ `\n` when appendNewline), as Flume's
 * HeaderAndBodyTextEventSerializer. Throws SLUICE_ERR_MALFORMED_BATCH on bytes that are not a batch.
 */
export function headerAndTextPayload(bytes: Buffer, appendNewline: boolean): Buffer {
  const parts: Buffer[] = [];
  const c = new BatchCursor(bytes);
  while (c.next()) {
    parts.push(Buffer.from(`${javaMapString(c.headers())} `, 'utf8'), c.body);
    if (appendNewline) parts.push(NEWLINE);
  }
  return Buffer.concat(parts);
}

const NEWLINE = Buffer.from('\n');
