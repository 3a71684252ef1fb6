import * as fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DirectWriter } from './direct-writer.js';
import { fileError, isNoSpace } from './errors.js';
import { SEGMENT_HEADER_SIZE } from './record-format.js';
import type { Segment } from './segment.js';

/** A record queued for writing: where it goes, its bytes, and whom to tell. */
export interface WriteOp {
  readonly seg: Segment;
  readonly offset: number;
  readonly length: number;
  readonly bufs: readonly Buffer[];
  /** Called once the record is durable (or, with fsyncPerTransaction=false, written). */
  onDurable(): void;
  onFailed(err: Error): void;
}

export interface DirWriterOptions {
  readonly fsyncPerTransaction: boolean;
  readonly maxFileSize: number;
  /** An injected delay before each fdatasync (benchmarks of slow disks); 0 in production. */
  readonly syncDelayMs: number;
  /** Durable writes bypass the page cache through this, when the directory's file system allows. */
  readonly direct?: DirectWriter;
  /** Creates the next segment of this directory (throws a disk-full error at ENOSPC). */
  newSegment(dir: string): Segment;
  /** Counts one fdatasync of a segment. */
  onSync(): void;
  /** A failed fdatasync: nothing written since the last good one can be trusted. */
  onFatal(err: Error): void;
  /** A failed write (ENOSPC...): the records were removed again and rejected. */
  onWriteError(err: Error, records: number): void;
}

function fdatasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
}

function writev(fd: number, bufs: readonly Buffer[], pos: number): Promise<number> {
  return new Promise((resolve, reject) => fs.writev(fd, bufs, pos, (err, n) => (err ? reject(err) : resolve(n))));
}

/** Writes every byte of bufs at pos; a short write is retried once for its errno, then fails. */
async function writeFully(fd: number, bufs: readonly Buffer[], pos: number, length: number): Promise<void> {
  let done = await writev(fd, bufs, pos);
  if (done === length) return;
  let rest: Buffer[] = [];
  let skip = done;
  for (const b of bufs) {
    if (skip >= b.length) skip -= b.length;
    else {
      rest.push(skip > 0 ? b.subarray(skip) : b);
      skip = 0;
    }
  }
  const more = await writev(fd, rest, pos + done);
  done += more;
  rest = [];
  if (done !== length) throw Object.assign(new Error(`short write (${done} of ${length} bytes)`), { code: 'ENOSPC' });
}

/**
 * Appends records to the active segment of one data directory with group commit: one write
 * system call per run of queued records (one writev), one write in flight; every record queued
 * while a write runs goes out with the next one. With fsyncPerTransaction the writes go through
 * the segment's O_DSYNC descriptor, so a write that returns is durable (the write and its
 * fdatasync in one system call and one trip through libuv's thread pool). Records complete in
 * the order they were appended. A write that fails at ENOSPC removes what it may have left
 * (ftruncate back to the last complete record) and rejects that record and every record queued
 * behind it, so the file never holds a hole or a partial record followed by good ones; any other
 * failure of a durable write is fatal (its sync part may have failed, see die()).
 */
export class DirWriter {
  active: Segment;
  private queue: WriteOp[] = [];
  private writing = false;
  /** Segments written since their last fdatasync (fsyncPerTransaction=false). */
  private readonly dirty = new Set<Segment>();
  private intervalSync: Promise<void> | undefined;
  private idleWaiters: (() => void)[] = [];
  private fatal: Error | undefined;
  private dead = false;
  private syncsInFlight = 0;

  constructor(
    readonly dir: string,
    active: Segment,
    private readonly opts: DirWriterOptions,
  ) {
    this.active = active;
  }

  /**
   * Queues a record of `length` bytes built by `build` for the segment it will land in (rolling to
   * a new segment first when the active one would pass maxFileSize). Returns where the record
   * will be. Throws a retriable disk-full error when a new segment cannot be created, or the
   * stored fatal error. The callbacks are never called synchronously.
   */
  append(
    length: number,
    build: (seg: Segment) => readonly Buffer[],
    onDurable: () => void,
    onFailed: (err: Error) => void,
  ): { seg: Segment; offset: number } {
    if (this.fatal) throw this.fatal;
    if (this.dead) throw fileError('io', `the writer of ${this.dir} was stopped`);
    let seg = this.active;
    if (seg.alloc + length > this.opts.maxFileSize && seg.alloc > SEGMENT_HEADER_SIZE) {
      try {
        seg = this.opts.newSegment(this.dir);
      } catch (err) {
        this.opts.onWriteError(err as Error, 1);
        throw err;
      }
      this.active = seg;
    }
    const offset = seg.alloc;
    const bufs = build(seg);
    seg.alloc += length;
    this.queue.push({ seg, offset, length, bufs, onDurable, onFailed });
    this.flush();
    return { seg, offset };
  }

  /**
   * Stops at once, as a kill would: queued records are dropped without a word; writes and syncs
   * already in flight finish but report nothing. Resolves when nothing is in flight any more.
   */
  kill(): Promise<void> {
    this.dead = true;
    this.queue = [];
    if (!this.writing && this.syncsInFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private flush(): void {
    if (this.writing || this.queue.length === 0) {
      this.checkIdle();
      return;
    }
    const seg = this.queue[0]!.seg;
    const pos = this.queue[0]!.offset;
    let n = 0;
    let length = 0;
    const bufs: Buffer[] = [];
    while (n < this.queue.length && this.queue[n]!.seg === seg && bufs.length < 512) {
      const op = this.queue[n++]!;
      for (const b of op.bufs) bufs.push(b);
      length += op.length;
    }
    const batch = this.queue.splice(0, n);
    const durable = this.opts.fsyncPerTransaction;
    this.writing = true;
    seg.busy++;
    (durable ? this.writeDurable(seg, bufs, pos, length) : writeFully(seg.fd, bufs, pos, length)).then(
      () => {
        seg.busy--;
        this.writing = false;
        if (this.dead) return this.checkIdle();
        seg.written = pos + length;
        if (!durable) this.dirty.add(seg);
        for (const op of batch) op.onDurable();
        this.flush();
      },
      (err: unknown) => {
        seg.busy--;
        this.writing = false;
        if (this.dead) return this.checkIdle();
        // At ENOSPC the ftruncate of writeFailed() removes whatever this write left; every record
        // before it was made durable by its own write. Any other error of an O_DSYNC write may
        // come from its sync part (EIO): the page cache can no longer be trusted, as after a
        // failed fdatasync.
        if (durable && !isNoSpace(err)) this.die(err, batch);
        else this.writeFailed(batch, err);
        this.flush();
      },
    );
  }

  /** One O_DSYNC write of a run of records (after the injected delay of a slow disk, if any). */
  private async writeDurable(seg: Segment, bufs: readonly Buffer[], pos: number, length: number): Promise<void> {
    if (this.opts.syncDelayMs > 0) await sleep(this.opts.syncDelayMs);
    if (this.opts.direct) await this.opts.direct.write(seg, bufs, pos, length);
    else await writeFully(seg.dsyncFd(), bufs, pos, length);
    this.opts.onSync();
  }

  private writeFailed(batch: WriteOp[], err: unknown): void {
    const failed = batch.concat(this.queue.splice(0));
    const segs = new Set(failed.map((op) => op.seg));
    for (const seg of segs) {
      try {
        fs.ftruncateSync(seg.fd, seg.written); // remove a partial record; the next write reuses the space
      } catch {
        // the next record is written at seg.written anyway, over whatever is left
      }
      seg.alloc = seg.written;
    }
    const error = isNoSpace(err)
      ? fileError('diskFull', `no space left on ${this.dir}; nothing acknowledged, retry later`, err)
      : fileError('io', `write to ${this.dir} failed: ${(err as Error).message}`, err);
    this.opts.onWriteError(error, failed.length);
    for (const op of failed) op.onFailed(error);
  }

  private async syncSegments(segs: readonly Segment[]): Promise<void> {
    for (const s of segs) s.busy++;
    this.syncsInFlight++;
    try {
      if (this.opts.syncDelayMs > 0) await sleep(this.opts.syncDelayMs);
      for (const s of segs) {
        await fdatasync(s.fd);
        this.opts.onSync();
      }
    } finally {
      for (const s of segs) s.busy--;
      this.syncsInFlight--;
    }
  }

  /**
   * A failed fdatasync (or O_DSYNC write): Linux may have dropped the dirty pages, so nothing
   * written since the last good sync can be trusted and the writer refuses everything from now on.
   */
  private die(err: unknown, batch: WriteOp[]): void {
    const error = fileError('io', `durable write or fdatasync in ${this.dir} failed: ${(err as Error).message}; reopen the channel`, err);
    this.fatal = error;
    this.opts.onFatal(error);
    const failed = batch.concat(this.queue.splice(0));
    for (const op of failed) op.onFailed(error);
    this.checkIdle();
  }

  /**
   * fdatasyncs every segment written since the last call (fsyncPerTransaction=false: the interval
   * timer and checkpoints). With fsyncPerTransaction=true records are synced before they complete.
   */
  syncWritten(): Promise<void> {
    const run = async (): Promise<void> => {
      const segs = [...this.dirty];
      this.dirty.clear();
      try {
        await this.syncSegments(segs);
      } catch (err) {
        if (!this.dead) this.die(err, []);
        throw this.fatal ?? err;
      } finally {
        this.checkIdle();
      }
    };
    const next = (this.intervalSync ?? Promise.resolve()).then(run, run);
    this.intervalSync = next;
    return next;
  }

  /**
   * Cuts the zero padding of direct writes after the active segment's last record, once idle, so
   * that a cleanly closed log ends at its last record. (Left in place, it is read as a clean end.)
   */
  cutPadding(): void {
    if (!this.opts.direct || this.fatal || this.busy || this.active.closed) return;
    try {
      fs.ftruncateSync(this.active.fd, this.active.written);
    } catch {
      // harmless: the next open reads the padding as the end of the log and cuts it then
    }
  }

  /** True while a record is queued or being written, or a sync runs. */
  get busy(): boolean {
    return this.writing || this.syncsInFlight > 0 || this.queue.length > 0;
  }

  /** Resolves once every appended record has completed or failed. */
  idle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private checkIdle(): void {
    if (this.busy || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
