import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Segment } from './segment.js';

/**
 * File offsets and lengths of direct writes are multiples of this (the largest logical block
 * size in use; 512-byte devices accept it too).
 */
export const DIRECT_BLOCK = 4096;

/** Bytes of records one direct write carries at most; a larger run is written in several. */
const STAGING_BYTES = 4 * 1024 * 1024;

function write(fd: number, buf: Buffer, pos: number): Promise<number> {
  return new Promise((resolve, reject) => fs.write(fd, buf, 0, buf.length, pos, (err, n) => (err ? reject(err) : resolve(n))));
}

function isEinval(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'EINVAL';
}

/**
 * Durable appends with O_DIRECT | O_DSYNC: the records are copied into one block-aligned staging
 * buffer and written from there, so the kernel neither copies them into the page cache nor
 * allocates page-cache memory for them (on a VM whose free memory goes back to the host, every
 * fresh page costs a fault there: the buffered write of a 540 KiB run took ~3 ms under load).
 *
 * A direct write covers whole blocks. A run that starts inside a block rewrites that block's
 * earlier bytes unchanged (kept from the previous write, or read back once per segment), as a
 * database log rewrites its last partial page; a run that ends inside a block fills the rest of
 * it with zeros, which the next write overwrites. The file can therefore end with fewer than
 * DIRECT_BLOCK zero bytes after its last record: the scanner reads them as a clean end.
 */
export class DirectWriter {
  /** The bytes [blockStart(tailEnd), tailEnd) of `tailSeg`, at the start of `staging`. */
  private tailSeg: Segment | undefined;
  private tailEnd = 0;

  private constructor(private readonly staging: Buffer) {}

  /**
   * A writer for segments in `dir`, or undefined when its file system refuses O_DIRECT (tmpfs,
   * some network and FUSE file systems): the caller then writes through the page cache. The
   * probe writes one block to a scratch file, once per staging buffer offset until the kernel
   * accepts its alignment (Node does not say where a buffer's memory lies).
   */
  static open(dir: string): DirectWriter | undefined {
    const probe = path.join(dir, `.direct-io-probe-${process.pid}`);
    let fd: number;
    try {
      fd = fs.openSync(probe, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_DIRECT);
    } catch (err) {
      fs.rmSync(probe, { force: true });
      if (isEinval(err)) return undefined;
      throw err;
    }
    try {
      const memory = Buffer.allocUnsafeSlow(STAGING_BYTES + DIRECT_BLOCK);
      for (let off = 0; off < DIRECT_BLOCK; off += 8) {
        try {
          fs.writeSync(fd, memory, off, DIRECT_BLOCK, 0);
          return new DirectWriter(memory.subarray(off, off + STAGING_BYTES));
        } catch (err) {
          if (!isEinval(err)) return undefined; // e.g. ENOSPC at start: the page cache serves
        }
      }
      return undefined;
    } finally {
      fs.closeSync(fd);
      fs.rmSync(probe, { force: true });
    }
  }

  /**
   * Writes `length` bytes of `bufs` at `pos` of `seg` and resolves once they are on disk. A short
   * write (a full disk) rejects with ENOSPC; the caller cuts the file back to `seg.written`.
   */
  async write(seg: Segment, bufs: readonly Buffer[], pos: number, length: number): Promise<void> {
    const fd = seg.directFd();
    let start = pos - (pos % DIRECT_BLOCK);
    let at = pos - start;
    if (at > 0 && !(this.tailSeg === seg && this.tailEnd === pos)) this.readTail(seg, start, at);
    this.tailSeg = undefined; // the staging buffer is being overwritten
    const flush = async (bytes: number): Promise<void> => {
      const n = await write(fd, this.staging.subarray(0, bytes), start);
      if (n !== bytes) throw Object.assign(new Error(`short direct write (${n} of ${bytes} bytes)`), { code: 'ENOSPC' });
    };
    for (const b of bufs) {
      let from = 0;
      while (from < b.length) {
        const n = b.copy(this.staging, at, from);
        from += n;
        at += n;
        if (at === this.staging.length) {
          await flush(at);
          start += at;
          at = 0;
        }
      }
    }
    const tail = at % DIRECT_BLOCK;
    if (at > 0) {
      const padded = at - tail + (tail > 0 ? DIRECT_BLOCK : 0);
      this.staging.fill(0, at, padded);
      await flush(padded);
    }
    // Keep the last partial block for the next run, which starts there.
    this.staging.copy(this.staging, 0, at - tail, at);
    this.tailSeg = seg;
    this.tailEnd = pos + length;
  }

  private readTail(seg: Segment, start: number, bytes: number): void {
    let got = 0;
    while (got < bytes) {
      const n = fs.readSync(seg.fd, this.staging, got, bytes - got, start + got);
      if (n === 0) throw new Error(`${seg.path} ends at ${start + got}, before the ${start + bytes} bytes written to it`);
      got += n;
    }
  }
}
