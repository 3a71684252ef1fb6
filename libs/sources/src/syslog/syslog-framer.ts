const LF = 0x0a;
const SPACE = 0x20;
const DIGIT_0 = 0x30;
const DIGIT_1 = 0x31;
const DIGIT_9 = 0x39;
/** Most digits of an RFC 6587 octet count (up to about a gigabyte). */
const MAX_COUNT_DIGITS = 9;

/** One message cut from a TCP stream: its bytes, and whether it was cut at eventSize. */
export interface SyslogFrame {
  readonly bytes: Buffer;
  readonly cut: boolean;
}

type Mode = 'start' | 'count' | 'octets' | 'line';

/**
 * Splits one TCP connection's bytes into syslog messages, each frame by its own first byte
 * (RFC 6587): a nonzero digit starts an octet-counted frame (`LEN SP MSG`), anything else a
 * `\n`-terminated line; empty lines are skipped. Digits not followed by a space are the start of
 * a line. A message longer than `eventSize` bytes is cut into pieces of `eventSize` bytes (the
 * `cut` ones) and a last piece, so at most `eventSize` bytes are ever held, whatever the peer sends.
 * Frames are views of the pushed chunks, not copies.
 */
export class SyslogFramer {
  private mode: Mode = 'start';
  private parts: Buffer[] = [];
  private size = 0;
  private count = 0;
  private countDigits = 0;
  private remaining = 0;

  constructor(private readonly eventSize: number) {}

  /** Bytes held for a message not yet complete. */
  get pending(): number {
    return this.size + this.countDigits;
  }

  /** The messages completed (or cut) by `chunk`, in order. */
  push(chunk: Buffer): SyslogFrame[] {
    const frames: SyslogFrame[] = [];
    let i = 0;
    while (i < chunk.length) {
      switch (this.mode) {
        case 'start': {
          const b = chunk[i]!;
          if (b === LF) i++;
          else if (b >= DIGIT_1 && b <= DIGIT_9) this.mode = 'count';
          else this.mode = 'line';
          break;
        }
        case 'count': {
          const b = chunk[i]!;
          if (b >= DIGIT_0 && b <= DIGIT_9 && this.countDigits < MAX_COUNT_DIGITS) {
            this.count = this.count * 10 + (b - DIGIT_0);
            this.countDigits++;
            i++;
          } else if (b === SPACE) {
            i++;
            this.remaining = this.count;
            this.resetCount();
            this.mode = 'octets';
          } else {
            this.countToLine();
          }
          break;
        }
        case 'octets': {
          const take = Math.min(this.remaining, chunk.length - i, this.eventSize - this.size);
          this.add(chunk.subarray(i, i + take));
          i += take;
          this.remaining -= take;
          if (this.remaining === 0) {
            frames.push(this.flush(false));
            this.mode = 'start';
          } else if (this.size === this.eventSize) {
            frames.push(this.flush(true));
          }
          break;
        }
        case 'line': {
          if (this.size === this.eventSize) {
            // Full: the next byte tells whether the line ends here or goes on past eventSize.
            if (chunk[i] === LF) {
              frames.push(this.flush(false));
              i++;
              this.mode = 'start';
            } else {
              frames.push(this.flush(true));
            }
            break;
          }
          const nl = chunk.indexOf(LF, i);
          const end = nl === -1 ? chunk.length : nl;
          const take = Math.min(end - i, this.eventSize - this.size);
          this.add(chunk.subarray(i, i + take));
          i += take;
          if (i === nl) {
            frames.push(this.flush(false));
            i++;
            this.mode = 'start';
          }
          break;
        }
      }
    }
    return frames;
  }

  /**
   * The end of the stream: the message in progress, if any (an unterminated line as it is, an
   * octet-counted frame the peer did not finish marked `cut`).
   */
  end(): SyslogFrame[] {
    if (this.mode === 'count') this.countToLine();
    const truncated = this.mode === 'octets';
    this.mode = 'start';
    this.remaining = 0;
    return this.size === 0 ? [] : [this.flush(truncated)];
  }

  /** Digits that turned out not to be an octet count start a line. */
  private countToLine(): void {
    this.add(Buffer.from(String(this.count), 'latin1'));
    this.resetCount();
    this.mode = 'line';
  }

  private resetCount(): void {
    this.count = 0;
    this.countDigits = 0;
  }

  private add(part: Buffer): void {
    if (part.length === 0) return;
    this.parts.push(part);
    this.size += part.length;
  }

  private flush(cut: boolean): SyslogFrame {
    const bytes = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.size);
    this.parts = [];
    this.size = 0;
    return { bytes, cut };
  }
}
