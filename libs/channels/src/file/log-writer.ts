import * as fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
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
  /** Creates the next segment of this directory (throws a disk-full error at ENOSPC). */
  newSegment(dir: string): Segment;
  /** Counts one fdatasync of a segment. */
  onSync(): void;
  /** A failed fdatasync: nothing written since the last good one can be trusted. */
  onFatal(err: Error): void;
  /** A failed write (ENOSPC...): the records were removed again and rejected. */
  onWriteError(err: Error, records: number): void;
}

/**
 * fdatasyncs allowed at once per directory. Several overlap a sync's latency with the next group
 * while leaving one of libuv's 4 default threads to writes and reads.
 */
const MAX_SYNCS = 3;

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
 * syscall per run of queued records (one writev), at most one write and one fdatasync in flight;
 * every record written while an fdatasync runs shares the next one. Records complete in the
 * order they were appended. A failed write removes what it may have left (ftruncate back to the
 * last complete record) and rejects that record and every record queued behind it, so the file
 * never holds a hole or a partial record followed by good ones.
 */
export class DirWriter {
  active: Segment;
  private queue: WriteOp[] = [];
  private writing = false;
  /** Records written and not yet durable, oldest first, each with its write number. */
  private unsynced: { op: WriteOp; n: number }[] = [];
  private writtenCount = 0;
  /** The highest write number an fdatasync already started (or finished) covers. */
  private covered = 0;
  private syncsRunning = 0;
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
    this.unsynced = [];
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
    this.writing = true;
    seg.busy++;
    writeFully(seg.fd, bufs, pos, length).then(
      () => {
        seg.busy--;
        this.writing = false;
        if (this.dead) return this.checkIdle();
        seg.written = pos + length;
        if (this.opts.fsyncPerTransaction) {
          for (const op of batch) this.unsynced.push({ op, n: ++this.writtenCount });
          this.maybeSync();
        } else {
          this.dirty.add(seg);
          for (const op of batch) op.onDurable();
        }
        this.flush();
      },
      (err: unknown) => {
        seg.busy--;
        this.writing = false;
        if (this.dead) return this.checkIdle();
        this.writeFailed(batch, err);
        this.flush();
      },
    );
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

  /**
   * Starts an fdatasync for the records written since the last one started, unless MAX_SYNCS are
   * already running. An fdatasync started after a record was written makes that record durable,
   * so the records that arrive while syncs run share the next one (group commit), and one that
   * completes also completes every record written before it started.
   */
  private maybeSync(): void {
    if (this.syncsRunning >= MAX_SYNCS || this.covered === this.writtenCount || this.fatal || this.dead) {
      this.checkIdle();
      return;
    }
    const target = this.writtenCount;
    this.covered = target;
    this.syncsRunning++;
    const segs = [...new Set(this.unsynced.map((u) => u.op.seg))];
    this.syncSegments(segs).then(
      () => {
        this.syncsRunning--;
        if (this.dead) return this.checkIdle();
        let done = 0;
        while (done < this.unsynced.length && this.unsynced[done]!.n <= target) done++;
        for (const u of this.unsynced.splice(0, done)) u.op.onDurable();
        this.maybeSync();
      },
      (err: unknown) => {
        this.syncsRunning--;
        if (this.dead) return this.checkIdle();
        this.die(err, []);
      },
    );
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

  private die(err: unknown, batch: WriteOp[]): void {
    const error = fileError('io', `fdatasync in ${this.dir} failed: ${(err as Error).message}; reopen the channel`, err);
    this.fatal = error;
    this.opts.onFatal(error);
    const failed = batch.concat(
      this.unsynced.splice(0).map((u) => u.op),
      this.queue.splice(0),
    );
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

  /** True while a record is queued, being written or waiting for its fdatasync, or a sync runs. */
  get busy(): boolean {
    return this.writing || this.syncsRunning > 0 || this.syncsInFlight > 0 || this.queue.length > 0 || this.unsynced.length > 0;
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
