const LF = 10;
const CR = 13;

/** Receives the lines of a {@link LineSplitter}: each is `bytes[start, end)`. */
export interface LineSink {
  /**
   * One line, without its terminator. `bytes` is a chunk of the stream (or a copy joining the
   * pieces of a line that spanned chunks): read or copy the range, never keep a view of it.
   */
  line(bytes: Buffer, start: number, end: number): void;
  /** A new chunk: the bytes of earlier chunks may have been reused (a sink caching them forgets them). */
  chunk?(): void;
}

/**
 * Splits a byte stream into lines on `\n`, dropping the `\n` and a `\r` just before it (what
 * Java's readLine does for `\r\n`; a lone `\r` stays in the line). Bytes are never decoded.
 *
 * A line that fits in one chunk is handed over as a range of that chunk (nothing allocated); a
 * line spanning chunks is joined once when its end arrives. A line longer than `maxLineLength`
 * bytes is delivered in pieces of exactly `maxLineLength` bytes (then the rest), so memory stays
 * bounded and no byte is lost; `onOverlong` is told once per such line.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private partLength = 0;
  private overlong = false;

  constructor(
    private readonly maxLineLength: number,
    private readonly sink: LineSink,
    private readonly onOverlong: (bytesSoFar: number) => void = () => {},
  ) {}

  /** Bytes held for a line whose end has not arrived yet. */
  get partialBytes(): number {
    return this.partLength;
  }

  push(chunk: Buffer): void {
    const sink = this.sink;
    sink.chunk?.();
    const max = this.maxLineLength;
    let pos = 0;
    for (;;) {
      const nl = chunk.indexOf(LF, pos);
      if (nl === -1) {
        if (pos < chunk.length) this.appendPartial(chunk.subarray(pos));
        return;
      }
      if (this.partLength === 0 && nl - pos <= max) {
        // The common case: the whole line is in this chunk.
        sink.line(chunk, pos, nl > pos && chunk[nl - 1] === CR ? nl - 1 : nl);
      } else {
        this.appendPartial(chunk.subarray(pos, nl));
        const line = this.takePartial();
        const n = line.length;
        sink.line(line, 0, n > 0 && line[n - 1] === CR ? n - 1 : n);
        this.overlong = false;
      }
      pos = nl + 1;
    }
  }

  /** Delivers a last line that has no `\n` (end of stream). */
  end(): void {
    if (this.partLength > 0 || this.overlong) {
      const last = this.takePartial();
      if (last.length > 0) this.sink.line(last, 0, last.length);
    }
    this.overlong = false;
  }

  private appendPartial(buf: Buffer): void {
    while (this.partLength + buf.length > this.maxLineLength) {
      const room = this.maxLineLength - this.partLength;
      this.parts.push(buf.subarray(0, room));
      this.partLength += room;
      if (!this.overlong) {
        this.overlong = true;
        this.onOverlong(this.partLength);
      }
      const piece = this.takePartial();
      this.sink.line(piece, 0, piece.length);
      buf = buf.subarray(room);
    }
    if (buf.length > 0) {
      this.parts.push(buf);
      this.partLength += buf.length;
    }
  }

  private takePartial(): Buffer {
    const line = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.partLength);
    this.parts = [];
    this.partLength = 0;
    return line;
  }
}
