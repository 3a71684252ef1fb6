const LF = 10;
const CR = 13;

/**
 * Splits a byte stream into lines on `\n`, dropping the `\n` and a `\r` just before it (what
 * Java's readLine does for `\r\n`; a lone `\r` stays in the line). Bytes are never decoded.
 *
 * A line that fits in one chunk is a zero-copy view of that chunk; a line spanning chunks is
 * copied once when its end arrives. A line longer than `maxLineLength` bytes is delivered in
 * pieces of exactly `maxLineLength` bytes (then the rest), so memory stays bounded and no byte
 * is lost; `onOverlong` is told once per such line.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private partLength = 0;
  private overlong = false;

  constructor(
    private readonly maxLineLength: number,
    private readonly onLine: (line: Buffer) => void,
    private readonly onOverlong: (bytesSoFar: number) => void = () => {},
  ) {}

  /** Bytes held for a line whose end has not arrived yet. */
  get partialBytes(): number {
    return this.partLength;
  }

  push(chunk: Buffer): void {
    let pos = 0;
    for (;;) {
      const nl = chunk.indexOf(LF, pos);
      if (nl === -1) {
        if (pos < chunk.length) this.appendPartial(chunk.subarray(pos));
        return;
      }
      const segment = chunk.subarray(pos, nl);
      pos = nl + 1;
      if (this.partLength === 0 && segment.length <= this.maxLineLength) {
        this.deliver(segment);
        continue;
      }
      this.appendPartial(segment);
      this.deliver(this.takePartial());
      this.overlong = false;
    }
  }

  /** Delivers a last line that has no `\n` (end of stream). */
  end(): void {
    if (this.partLength > 0 || this.overlong) {
      const last = this.takePartial();
      if (last.length > 0) this.onLine(last);
    }
    this.overlong = false;
  }

  private deliver(line: Buffer): void {
    const n = line.length;
    this.onLine(n > 0 && line[n - 1] === CR ? line.subarray(0, n - 1) : line);
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
      this.onLine(this.takePartial());
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
