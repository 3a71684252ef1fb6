import { SluiceError } from '@sluice/core';

/**
 * Avro's Netty transport framing (`NettyTransportCodec`), the same in both directions:
 *
 *     int32 serial | int32 bufferCount | bufferCount × (int32 length | length bytes)
 *
 * all big-endian. The message is the concatenation of the buffers; their boundaries carry no
 * meaning. There is no terminator. Java writes buffers of at most {@link JAVA_BUFFER_SIZE} bytes.
 */

/** Avro Java's `ByteBufferOutputStream.BUFFER_SIZE`: large payloads are cut into buffers of this size. */
export const JAVA_BUFFER_SIZE = 8192;

/** A decoded frame: its serial and its message, the concatenation of its buffers. */
export interface NettyFrame {
  readonly serial: number;
  /** Lengths of the frame's buffers, in order (0 for an empty one): for tests and diagnostics. */
  readonly bufferLengths: readonly number[];
  readonly payload: Buffer;
}

/** Bounds applied while decoding, so a hostile or broken peer cannot make us allocate without limit. */
export interface FrameLimits {
  /** Largest sum of buffer lengths in one frame. */
  readonly maxFrameBytes: number;
  /** Largest buffer count in one frame. */
  readonly maxBuffersPerFrame: number;
}

export const DEFAULT_FRAME_LIMITS: FrameLimits = {
  maxFrameBytes: 64 * 1024 * 1024,
  maxBuffersPerFrame: 65536,
};

/** Cuts bytes into consecutive views of at most `size` bytes (no copy). An empty input gives no buffers. */
export function splitIntoBuffers(bytes: Buffer, size = JAVA_BUFFER_SIZE): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) out.push(bytes.subarray(at, Math.min(bytes.length, at + size)));
  return out;
}

/** Encodes one frame into a single contiguous buffer (one socket write, one deflate flush). */
export function encodeFrame(serial: number, buffers: readonly Buffer[]): Buffer {
  let size = 8;
  for (const b of buffers) size += 4 + b.length;
  const out = Buffer.allocUnsafe(size);
  out.writeInt32BE(serial | 0, 0);
  out.writeInt32BE(buffers.length, 4);
  let at = 8;
  for (const b of buffers) {
    out.writeInt32BE(b.length, at);
    b.copy(out, at + 4);
    at += 4 + b.length;
  }
  return out;
}

/**
 * The same bytes as {@link encodeFrame}, as a list of chunks for a gathered write (writev): the
 * frame header, every length prefix and every buffer under `copyBelow` bytes are packed into one
 * small allocation, larger buffers are referenced as they are. A 240 KB batch is then written
 * without being copied into a frame first (one copy less, and no 240 KB allocation per call).
 */
export function encodeFrameChunks(serial: number, buffers: readonly Buffer[], copyBelow = 1024): Buffer[] {
  let small = 8;
  for (const b of buffers) small += 4 + (b.length < copyBelow ? b.length : 0);
  const head = Buffer.allocUnsafe(small);
  head.writeInt32BE(serial | 0, 0);
  head.writeInt32BE(buffers.length, 4);
  const chunks: Buffer[] = [];
  let from = 0;
  let at = 8;
  for (const b of buffers) {
    head.writeInt32BE(b.length, at);
    at += 4;
    if (b.length < copyBelow) {
      b.copy(head, at);
      at += b.length;
      continue;
    }
    chunks.push(head.subarray(from, at), b);
    from = at;
  }
  if (at > from) chunks.push(head.subarray(from, at));
  return chunks;
}

function rejected(why: string): SluiceError {
  return new SluiceError('SLUICE_ERR_PROTOCOL', `bad Netty frame: ${why}`);
}

const enum State {
  Header,
  Length,
  Data,
}

/**
 * Incremental decoder of a byte stream into frames. `push` returns the frames completed by a
 * chunk and throws SLUICE_ERR_PROTOCOL as soon as a frame breaks a limit or the format (the
 * stream cannot be resynchronised after that: close the connection). The payload is copied once
 * per frame (not at all when it arrived in one piece).
 */
export class FrameDecoder {
  private state = State.Header;
  private readonly head = Buffer.alloc(8);
  private headFill = 0;
  private serial = 0;
  private remainingBuffers = 0;
  private frameBytes = 0;
  private dataLeft = 0;
  private parts: Buffer[] = [];
  private lengths: number[] = [];

  constructor(private readonly limits: FrameLimits = DEFAULT_FRAME_LIMITS) {}

  /**
   * Bytes the frame in progress will hold: the declared lengths of its buffers started so far,
   * counted from each length prefix, before their bytes arrive (a peer's claim is charged early).
   */
  get heldBytes(): number {
    return this.state === State.Header ? 0 : this.frameBytes;
  }

  /** True while a frame has started but is not complete (bytes are owed by the peer). */
  get midFrame(): boolean {
    return this.state !== State.Header || this.headFill > 0;
  }

  push(chunk: Buffer): NettyFrame[] {
    const frames: NettyFrame[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.state === State.Data) {
        const take = Math.min(this.dataLeft, chunk.length - at);
        this.parts.push(chunk.subarray(at, at + take));
        at += take;
        this.dataLeft -= take;
        if (this.dataLeft === 0) this.endBuffer(frames);
        continue;
      }
      const need = this.state === State.Header ? 8 : 4;
      const take = Math.min(need - this.headFill, chunk.length - at);
      chunk.copy(this.head, this.headFill, at, at + take);
      this.headFill += take;
      at += take;
      if (this.headFill < need) break;
      this.headFill = 0;
      if (this.state === State.Header) this.startFrame();
      else this.startBuffer(frames);
    }
    return frames;
  }

  private startFrame(): void {
    this.serial = this.head.readInt32BE(0);
    const count = this.head.readInt32BE(4);
    if (count <= 0) throw rejected(`buffer count ${count}`);
    if (count > this.limits.maxBuffersPerFrame) {
      throw rejected(`buffer count ${count} exceeds the limit of ${this.limits.maxBuffersPerFrame}`);
    }
    this.remainingBuffers = count;
    this.frameBytes = 0;
    this.parts = [];
    this.lengths = [];
    this.state = State.Length;
  }

  private startBuffer(frames: NettyFrame[]): void {
    const len = this.head.readInt32BE(0);
    if (len < 0) throw rejected(`buffer length ${len}`);
    this.frameBytes += len;
    if (this.frameBytes > this.limits.maxFrameBytes) {
      throw rejected(`frame exceeds the limit of ${this.limits.maxFrameBytes} bytes`);
    }
    this.lengths.push(len);
    this.dataLeft = len;
    this.state = State.Data;
    if (len === 0) this.endBuffer(frames);
  }

  private endBuffer(frames: NettyFrame[]): void {
    this.remainingBuffers--;
    if (this.remainingBuffers > 0) {
      this.state = State.Length;
      return;
    }
    const parts = this.parts;
    const payload = parts.length === 1 ? parts[0]! : Buffer.concat(parts, this.frameBytes);
    frames.push({ serial: this.serial, bufferLengths: this.lengths, payload });
    this.parts = [];
    this.lengths = [];
    this.state = State.Header;
  }
}
