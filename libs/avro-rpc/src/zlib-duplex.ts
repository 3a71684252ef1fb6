import { Duplex } from 'node:stream';
import * as zlib from 'node:zlib';
import { SluiceError } from '@sluice/core';

/** Flume's default `compression-level` (and the level its AvroSource always uses). */
export const DEFAULT_COMPRESSION_LEVEL = 6;

/**
 * Output chunk of the inflater. zlib's default (16 KiB) cuts an inflated 240 KB batch into 15
 * thread-pool round trips and 15 chunks to reassemble; 256 KiB takes it in one or two.
 */
const INFLATE_CHUNK_BYTES = 256 * 1024;

/**
 * Flume's `compression-type = deflate` layer: each direction of the connection is ONE continuous
 * zlib (RFC 1950) stream, and every write is sync-flushed (Z_SYNC_FLUSH) so the peer can inflate a
 * whole frame as soon as it arrives. There is no negotiation: both ends must agree.
 *
 * Wraps the byte stream next to the socket; whatever is written to this duplex is deflated onto
 * the inner stream, whatever arrives from it is inflated and readable here. Ending this duplex
 * finishes the zlib stream (its final block and Adler-32), then ends the inner stream.
 */
export class ZlibDuplex extends Duplex {
  private readonly inflater: zlib.Inflate;
  private readonly deflater: zlib.Deflate;

  constructor(
    private readonly inner: Duplex,
    level: number = DEFAULT_COMPRESSION_LEVEL,
  ) {
    super({ allowHalfOpen: false });
    if (!Number.isInteger(level) || level < 0 || level > 9) {
      throw new SluiceError('SLUICE_ERR_CONFIG', `compression level must be an integer from 0 to 9, got ${level}`);
    }
    this.inflater = zlib.createInflate({ chunkSize: INFLATE_CHUNK_BYTES });
    this.deflater = zlib.createDeflate({ level });

    inner.on('data', (chunk: Buffer) => {
      if (!this.inflater.write(chunk)) inner.pause();
    });
    this.inflater.on('drain', () => inner.resume());
    inner.on('end', () => this.inflater.end());
    inner.on('error', (err) => this.destroy(err));
    inner.on('close', () => {
      if (!this.destroyed && !this.readableEnded) this.destroy();
    });

    this.inflater.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) this.inflater.pause();
    });
    this.inflater.on('end', () => this.push(null));
    this.inflater.on('error', (err) =>
      this.destroy(new SluiceError('SLUICE_ERR_PROTOCOL', `bad deflate stream from the peer: ${err.message}`, { cause: err })),
    );

    this.deflater.on('data', (chunk: Buffer) => {
      if (!inner.write(chunk)) {
        this.deflater.pause();
        inner.once('drain', () => this.deflater.resume());
      }
    });
    this.deflater.on('error', (err) => this.destroy(err));
  }

  override _read(): void {
    this.inflater.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.deflater.write(chunk);
    this.deflater.flush(zlib.constants.Z_SYNC_FLUSH, () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.deflater.once('end', () => {
      this.inner.end();
      callback();
    });
    this.deflater.end();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.inflater.destroy();
    this.deflater.destroy();
    this.inner.destroy();
    callback(error);
  }
}
