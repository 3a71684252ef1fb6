import { AvroReader } from './avro-binary.js';

/**
 * The smallest encoded event, an empty header map and an empty body (one byte each); the
 * smallest header entry, an empty key and an empty value.
 */
const MIN_ITEM_BYTES = 2;

/**
 * Walks the events of an encoded batch (Avro `array<AvroFlumeEvent>`, in any number of blocks)
 * in order, without building them: after each `next()` that returns true, the event's place in
 * the bytes, its body as a view, and its header count are at hand; `headers()` builds its
 * headers only when asked. Every length and count is checked as it is met, so bytes that are
 * not a batch throw `SLUICE_ERR_MALFORMED_BATCH` out of `next()` (at the latest from the call
 * that finds the end: trailing bytes are refused too), before anything is sized from them.
 */
export class BatchCursor {
  private readonly r: AvroReader;
  /** Events of the current block not yet reached. */
  private left = 0;
  private ended = false;
  private read = 0;
  private eventStart = 0;
  private eventEnd = 0;
  private entries = 0;
  private bodyAt = 0;

  constructor(readonly bytes: Buffer) {
    this.r = new AvroReader(bytes);
  }

  /** Moves to the next event: false once past the last one. */
  next(): boolean {
    if (this.ended) return false;
    const r = this.r;
    if (this.left === 0) {
      const count = r.blockCount(MIN_ITEM_BYTES, 'events');
      if (count === 0) {
        this.ended = true;
        if (r.pos !== this.bytes.length) r.fail('trailing bytes after the array');
        return false;
      }
      this.left = count;
    }
    this.left--;
    this.read++;
    this.eventStart = r.pos;
    let entries = 0;
    for (;;) {
      const n = r.blockCount(MIN_ITEM_BYTES, 'headers');
      if (n === 0) break;
      entries += n;
      for (let j = 0; j < 2 * n; j++) r.skipBytes('header');
    }
    this.entries = entries;
    const bodyLength = r.length('body');
    this.bodyAt = r.pos;
    r.pos += bodyLength;
    this.eventEnd = r.pos;
    return true;
  }

  /**
   * Events reached so far plus those the current block still announces: the least number of
   * events the batch claims to hold, known before they are walked.
   */
  get claimed(): number {
    return this.read + this.left;
  }

  /** Where the current event's encoding starts in `bytes`. */
  get start(): number {
    return this.eventStart;
  }

  /** Where the current event's encoding ends in `bytes` (exclusive). */
  get end(): number {
    return this.eventEnd;
  }

  /** Where the current event's body starts in `bytes`; it ends at `end`. */
  get bodyStart(): number {
    return this.bodyAt;
  }

  /** The current event's body, a view of `bytes` (valid as long as they are). */
  get body(): Buffer {
    return this.bytes.subarray(this.bodyAt, this.eventEnd);
  }

  /** How many header entries the current event's encoding holds (a repeated key counts each time). */
  get headerCount(): number {
    return this.entries;
  }

  /** The current event's headers, built on each call; of a repeated key, the last value. */
  headers(): Record<string, string> {
    const out: Record<string, string> = {};
    if (this.entries === 0) return out;
    const r = new AvroReader(this.bytes, this.eventStart);
    for (;;) {
      const n = r.blockCount(MIN_ITEM_BYTES, 'headers');
      if (n === 0) return out;
      for (let j = 0; j < n; j++) {
        const key = r.string('header key');
        const value = r.string('header value');
        if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
        else out[key] = value;
      }
    }
  }
}

