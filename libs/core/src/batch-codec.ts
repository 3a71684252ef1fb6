import { lengthSize, writeLength } from './avro-binary.js';
import { BatchCursor } from './batch-cursor.js';
import { SluiceError } from './errors.js';
import type { SluiceEvent } from './event.js';

/**
 * A batch is encoded once, exactly as the Avro `array<AvroFlumeEvent>` that is the parameter of
 * Flume's `appendBatch`, and travels as opaque bytes through channels; only components that must
 * look at events decode it. Channels use the framing functions below, which walk the Avro block
 * structure without building event objects.
 */
export const AVRO_FLUME_EVENT_SCHEMA = {
  type: 'record',
  name: 'AvroFlumeEvent',
  namespace: 'org.apache.flume.source.avro',
  fields: [
    { name: 'headers', type: { type: 'map', values: 'string' } },
    { name: 'body', type: 'bytes' },
  ],
} as const;


/**
 * Writes the Avro encoding of event batches (the bytes avsc's `toBuffer` gives for the batch
 * schema, byte for byte) into one scratch buffer reused from batch to batch, then copies out the
 * result. Header strings repeat from event to event (a static interceptor's value, a host name,
 * every key): a string equal to the one written at the same header position of the previous event
 * is copied from there instead of being encoded again.
 */
class BatchWriter {
  private buf = Buffer.allocUnsafeSlow(64 * 1024);
  private pos = 0;
  /** Per header slot (2 per header: key, value) of the previous event: the string and its encoding. */
  private readonly memoStr: string[] = [];
  private readonly memoStart: number[] = [];
  private readonly memoEnd: number[] = [];
  /** The current event's header keys, in its first entries (reused: no array per event). */
  private readonly keys: string[] = [];

  encode(events: readonly SluiceEvent[]): Buffer {
    this.pos = 0;
    this.memoStr.length = 0;
    if (events.length > 0) {
      this.long(events.length);
      for (const e of events) this.event(e);
    }
    this.long(0);
    return Buffer.from(this.buf.subarray(0, this.pos));
  }

  private event(e: SluiceEvent): void {
    const headers = e.headers;
    const keys = this.keys;
    let count = 0;
    for (const k in headers) keys[count++] = k;
    if (count > 0) {
      this.long(count);
      let slot = 0;
      for (let i = 0; i < count; i++) {
        const k = keys[i]!;
        const v = headers[k];
        if (typeof v !== 'string') throw new SluiceError('SLUICE_ERR_MALFORMED_BATCH', `header ${JSON.stringify(k)} is not a string`);
        this.string(k, slot++);
        this.string(v, slot++);
      }
    }
    this.long(0);
    const body = e.body;
    this.long(body.length);
    this.reserve(body.length);
    this.buf.set(body, this.pos);
    this.pos += body.length;
  }

  private string(s: string, slot: number): void {
    if (this.memoStr[slot] === s) {
      const start = this.memoStart[slot]!;
      const end = this.memoEnd[slot]!;
      this.reserve(end - start);
      this.buf.copyWithin(this.pos, start, end);
      this.pos += end - start;
      return;
    }
    const start = this.pos;
    if (!this.ascii(s)) {
      const n = Buffer.byteLength(s);
      this.long(n);
      this.reserve(n);
      this.pos += this.buf.write(s, this.pos, n, 'utf8');
    }
    this.memoStr[slot] = s;
    this.memoStart[slot] = start;
    this.memoEnd[slot] = this.pos;
  }

  /** Writes a short ASCII string by hand (cheaper than a native call); false, writing nothing, otherwise. */
  private ascii(s: string): boolean {
    const n = s.length;
    if (n >= 64) return false;
    this.reserve(n + 1);
    const buf = this.buf;
    let p = this.pos + 1;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) return false;
      buf[p++] = c;
    }
    buf[this.pos] = n << 1;
    this.pos = p;
    return true;
  }

  /** A zig-zag varint of a non-negative length or count. */
  private long(n: number): void {
    this.reserve(10);
    this.pos = writeLength(this.buf, this.pos, n);
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafeSlow(Math.max(this.pos + n, this.buf.length * 2));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }
}

const writer = new BatchWriter();

/** Encodes events as one Avro array block (the bytes Flume's appendBatch carries). */
export function encodeBatch(events: readonly SluiceEvent[]): Buffer {
  return writer.encode(events);
}

/**
 * Decodes a batch, each body a view of `bytes`; throws SLUICE_ERR_MALFORMED_BATCH on bytes that
 * are not one (every length and count is checked before it is used, so hostile bytes cost no
 * more than their own size).
 */
export function decodeBatch(bytes: Buffer): SluiceEvent[] {
  const events: SluiceEvent[] = [];
  const c = new BatchCursor(bytes);
  while (c.next()) events.push({ headers: c.headers(), body: c.body });
  return events;
}

/** Where each event of an encoded batch starts and ends, found without decoding it. */
export interface BatchFraming {
  /** Byte ranges [start, end) of each encoded event, in order. */
  readonly starts: number[];
  readonly ends: number[];
  /** Body length of each event. */
  readonly bodyLens: number[];
  /** Sum of body lengths (Flume's byteCapacity counts bodies only). */
  readonly bodyBytes: number;
}

/** Framing arrays are allocated up to this many events from a batch's claimed count. */
const PRESIZED_EVENTS = 65_536;

/**
 * Walks the Avro array framing of a batch. Throws SLUICE_ERR_MALFORMED_BATCH on bad bytes, and
 * SLUICE_ERR_BATCH_TOO_LARGE as soon as the counts claim more than `maxEvents` (before anything
 * is allocated for them). The hot path of every channel (each PUT is walked once): nothing
 * allocated per event beyond its offsets.
 */
export function frameBatch(bytes: Buffer, maxEvents = Number.MAX_SAFE_INTEGER): BatchFraming {
  const c = new BatchCursor(bytes);
  let starts: number[] = [];
  let ends: number[] = [];
  let bodyLens: number[] = [];
  let k = 0;
  let bodyBytes = 0;
  while (c.next()) {
    const claimed = c.claimed;
    if (claimed > maxEvents) {
      throw new SluiceError('SLUICE_ERR_BATCH_TOO_LARGE', `a batch of at least ${claimed} events exceeds the limit of ${maxEvents}`);
    }
    if (k === 0) {
      // Sized up front from the first block's count (which the cursor found the bytes can
      // carry), so that a batch of ordinary size makes no garbage growing them; past
      // PRESIZED_EVENTS they grow with the events actually read.
      const size = Math.min(claimed, PRESIZED_EVENTS);
      starts = new Array<number>(size);
      ends = new Array<number>(size);
      bodyLens = new Array<number>(size);
    }
    const end = c.end;
    const bodyLen = end - c.bodyStart;
    starts[k] = c.start;
    ends[k] = end;
    bodyLens[k++] = bodyLen;
    bodyBytes += bodyLen;
  }
  return { starts, ends, bodyLens, bodyBytes };
}

const EMPTY_BATCH = Buffer.from([0]);
const EMPTY_FRAMING: BatchFraming = Object.freeze({ starts: [], ends: [], bodyLens: [], bodyBytes: 0 });

/** Events [from, to) of an encoded batch. */
export interface BatchRange {
  readonly bytes: Buffer;
  readonly framing: BatchFraming;
  readonly from: number;
  readonly to: number;
}

/**
 * Joins ranges of encoded batches into one batch, in order, copying only the events' bytes and
 * computing the new framing arithmetically (no second walk).
 */
export function joinRanges(ranges: readonly BatchRange[]): { bytes: Buffer; framing: BatchFraming } {
  let count = 0;
  let size = 0;
  for (const r of ranges) {
    if (r.to <= r.from) continue;
    count += r.to - r.from;
    size += r.framing.ends[r.to - 1]! - r.framing.starts[r.from]!;
  }
  if (count === 0) return { bytes: EMPTY_BATCH, framing: EMPTY_FRAMING };
  const bytes = Buffer.allocUnsafe(lengthSize(count) + size + 1);
  let offset = writeLength(bytes, 0, count);
  const starts: number[] = [];
  const ends: number[] = [];
  const bodyLens: number[] = [];
  let bodyBytes = 0;
  for (const r of ranges) {
    if (r.to <= r.from) continue;
    const base = r.framing.starts[r.from]!;
    const end = r.framing.ends[r.to - 1]!;
    r.bytes.copy(bytes, offset, base, end);
    for (let i = r.from; i < r.to; i++) {
      starts.push(offset + r.framing.starts[i]! - base);
      ends.push(offset + r.framing.ends[i]! - base);
      const len = r.framing.bodyLens[i]!;
      bodyLens.push(len);
      bodyBytes += len;
    }
    offset += end - base;
  }
  bytes[offset] = 0;
  return { bytes, framing: { starts, ends, bodyLens, bodyBytes } };
}

/** Re-frames events [from, to) of an encoded batch as a batch of their own. */
export function sliceBatch(bytes: Buffer, framing: BatchFraming, from: number, to: number): Buffer {
  return joinRanges([{ bytes, framing, from, to }]).bytes;
}

/** Joins whole encoded batches into one, in order, without decoding them. */
export function concatBatches(parts: readonly { bytes: Buffer; framing: BatchFraming }[]): Buffer {
  return joinRanges(parts.map((p) => ({ ...p, from: 0, to: p.framing.starts.length }))).bytes;
}

/** The encoding of an empty batch. */
export function emptyBatch(): Buffer {
  return EMPTY_BATCH;
}
