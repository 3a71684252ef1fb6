const LF = 10;

/** One complete line, or the verdict on an over-long one, in arrival order. */
export type NetcatItem = { kind: 'line'; body: Buffer } | { kind: 'too-long' };

/**
 * Counts characters the way Java's UTF-16 strings do (what Flume's max-line-length counts):
 * one per UTF-8 sequence, two for a 4-byte sequence. Non-UTF-8 charsets count bytes.
 */
export function charCount(buf: Buffer, utf8: boolean): number {
  if (!utf8) return buf.length;
  let n = 0;
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i]!;
    if ((b & 0xc0) !== 0x80) n += b >= 0xf0 ? 2 : 1;
  }
  return n;
}

/**
 * Netcat's line rules: one line per `\n` (the `\n` dropped, a preceding `\r` kept), at most
 * `maxLineLength` characters including the newline. A line over the limit is reported once,
 * as soon as it is known to be too long, and the rest of it is skipped up to its `\n`.
 */
export class NetcatLines {
  private parts: Buffer[] = [];
  private partBytes = 0;
  private skipping = false;

  constructor(
    private readonly maxLineLength: number,
    private readonly utf8: boolean,
  ) {}

  /** Bytes held for an unterminated line. */
  get pendingBytes(): number {
    return this.partBytes;
  }

  push(chunk: Buffer): NetcatItem[] {
    const items: NetcatItem[] = [];
    let pos = 0;
    for (;;) {
      const nl = chunk.indexOf(LF, pos);
      const end = nl === -1 ? chunk.length : nl;
      const segment = chunk.subarray(pos, end);
      if (this.skipping) {
        if (nl !== -1) this.skipping = false;
      } else if (nl === -1) {
        if (segment.length > 0) this.holdPartial(segment, items);
      } else {
        const line = this.partBytes === 0 ? segment : Buffer.concat([...this.parts, segment], this.partBytes + segment.length);
        this.parts = [];
        this.partBytes = 0;
        items.push(this.fits(line) ? { kind: 'line', body: line } : { kind: 'too-long' });
      }
      if (nl === -1) return items;
      pos = nl + 1;
    }
  }

  /** Drops an unterminated line (the connection ended); returns its size in bytes. */
  discard(): number {
    const n = this.partBytes;
    this.parts = [];
    this.partBytes = 0;
    this.skipping = false;
    return n;
  }

  /** A line fits when its characters plus the newline do not exceed the limit. */
  private fits(line: Buffer): boolean {
    return line.length < this.maxLineLength || charCount(line, this.utf8) < this.maxLineLength;
  }

  private holdPartial(segment: Buffer, items: NetcatItem[]): void {
    this.parts.push(segment);
    this.partBytes += segment.length;
    if (this.partBytes < this.maxLineLength) return;
    const chars = this.parts.reduce((n, p) => n + charCount(p, this.utf8), 0);
    if (chars < this.maxLineLength) return;
    items.push({ kind: 'too-long' });
    this.discard();
    this.skipping = true;
  }
}
