import { randomInt } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileError, isNoSpace } from './errors.js';
import { encodeSegmentHeader, FORMAT_VERSION, SEGMENT_HEADER_SIZE } from './record-format.js';

const SEGMENT_NAME = /^log-(\d+)$/;

/** The file name of segment `id`. */
export function segmentName(id: number): string {
  return `log-${id}`;
}

/** Segment ids found in a directory, ascending. */
export function listSegments(dir: string): number[] {
  const ids: number[] = [];
  for (const name of fs.readdirSync(dir)) {
    const m = SEGMENT_NAME.exec(name);
    if (m) ids.push(Number(m[1]));
  }
  return ids.sort((a, b) => a - b);
}

/** fsyncs a directory so that entries created, renamed or removed in it survive a power loss. */
export function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** One append-only segment file of a data directory, open for reading and appending. */
export class Segment {
  /** Bytes known to be in the file (header plus every record whose write completed). */
  written: number;
  /** The offset the next record will be written at (ahead of `written` while writes are queued). */
  alloc: number;
  /** Batches in this segment with unacknowledged events. */
  liveEntries = 0;
  /** Segments holding the puts that ACK records in this segment name (other than itself). */
  readonly ackRefs = new Set<number>();
  /** Reads and syncs in flight (the file is not closed or deleted meanwhile). */
  busy = 0;
  closed = false;
  /** A second descriptor opened with O_DSYNC for durable appends, once one was asked for. */
  private dsync: number | undefined;
  /** The same with O_DIRECT as well (DirectWriter), once one was asked for. */
  private direct: number | undefined;

  constructor(
    readonly id: number,
    readonly dir: string,
    readonly fd: number,
    readonly salt: number,
    size: number,
  ) {
    this.written = size;
    this.alloc = size;
  }

  get path(): string {
    return path.join(this.dir, segmentName(this.id));
  }

  /**
   * A write-only descriptor of this file opened with O_DSYNC: a write through it returns once
   * its bytes are on disk, as a write followed by fdatasync would, in one system call. Opened on
   * first use, closed with the segment.
   */
  dsyncFd(): number {
    if (this.closed) throw new Error(`segment ${this.path} is closed`);
    return (this.dsync ??= fs.openSync(this.path, fs.constants.O_WRONLY | fs.constants.O_DSYNC));
  }

  /** A write-only descriptor with O_DSYNC and O_DIRECT (no page cache), opened on first use. */
  directFd(): number {
    if (this.closed) throw new Error(`segment ${this.path} is closed`);
    return (this.direct ??= fs.openSync(this.path, fs.constants.O_WRONLY | fs.constants.O_DSYNC | fs.constants.O_DIRECT));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    fs.closeSync(this.fd);
    if (this.dsync !== undefined) fs.closeSync(this.dsync);
    if (this.direct !== undefined) fs.closeSync(this.direct);
  }
}

/**
 * Creates segment `id` in `dir`: header written and fdatasynced, directory entry fsynced, so that
 * records appended to it can be acknowledged. Throws a retriable disk-full error at ENOSPC (and
 * removes the partial file).
 */
export function createSegment(dir: string, id: number, firstPutSeq: number): Segment {
  const file = path.join(dir, segmentName(id));
  const salt = randomInt(0, 0xffffffff);
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'wx+');
    const header = encodeSegmentHeader({ version: FORMAT_VERSION, salt, id, firstPutSeq });
    const n = fs.writeSync(fd, header, 0, header.length, 0);
    if (n !== header.length) throw Object.assign(new Error('short write of a segment header'), { code: 'ENOSPC' });
    fs.fdatasyncSync(fd);
    fsyncDir(dir);
    return new Segment(id, dir, fd, salt, SEGMENT_HEADER_SIZE);
  } catch (err) {
    if (fd !== undefined) {
      fs.closeSync(fd);
      fs.rmSync(file, { force: true });
    }
    if (isNoSpace(err)) throw fileError('diskFull', `no space left to create ${file}`, err);
    throw fileError('io', `cannot create segment ${file}: ${(err as Error).message}`, err);
  }
}
