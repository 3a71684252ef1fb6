import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  joinRanges,
  SluiceError,
  type ChannelStore,
  type Counters,
  type Logger,
  type StoredBatch,
} from '@sluice/core';
import { CHECKPOINT_FILE, encodeCheckpoint, writeCheckpoint, type CheckpointData } from './checkpoint.js';
import { DirLock } from './dir-lock.js';
import { dirProblem } from './dir-probe.js';
import { DiskSpace } from './disk-space.js';
import { fileError, isNoSpace } from './errors.js';
import { LazyBatch } from './lazy-batch.js';
import { DirectWriter } from './direct-writer.js';
import { DirWriter } from './log-writer.js';
import { Entry, QueueState, type Lease } from './queue-state.js';
import {
  encodeAck,
  encodePut,
  MAX_PAYLOAD,
  putMetaSize,
  readRecordHead,
  RECORD_HEADER_SIZE,
  recordCrcOk,
} from './record-format.js';
import { replay } from './replay.js';
import { createSegment, fsyncDir, type Segment } from './segment.js';

/** Free bytes that mean a full disk has space again (Flume's floor for minimumRequiredSpace). */
const SPACE_BACK_BYTES = 1024 * 1024;
/** Least time between the starts of two checkpoints run early for want of space (doubled after a failed one). */
const EARLY_CHECKPOINT_MS = 1000;

/** Counter names the file channel keeps besides the channel service's (Flume's names first). */
export const FILE_CHANNEL_COUNTERS = [
  'Open',
  'Unhealthy',
  'EventPutErrorCount',
  'EventTakeErrorCount',
  'CheckpointWriteErrorCount',
  'CheckpointBackupWriteErrorCount',
  'ReplayDurationMs',
  'EventsReplayed',
  'FsyncCount',
] as const;

export interface FileStoreOptions {
  /** The channel's name, for messages. */
  readonly name: string;
  readonly checkpointDir: string;
  /** Set to keep a second copy of every checkpoint (Flume's useDualCheckpoints). */
  readonly backupCheckpointDir?: string;
  /** Data directories; commits are spread over them round robin. */
  readonly dataDirs: readonly string[];
  /** Most events held (committed, not acknowledged). */
  readonly capacity: number;
  readonly checkpointIntervalMs: number;
  /** A segment is closed and a new one started once it would grow past this many bytes. */
  readonly maxFileSize: number;
  /** Commits answer 'full' when less than this many bytes would stay free on a data dir's disk. */
  readonly minimumRequiredSpace: number;
  readonly checkpointOnClose: boolean;
  /** fdatasync before a commit or ack completes (true), or every fsyncIntervalMs (false). */
  readonly fsyncPerTransaction: boolean;
  readonly fsyncIntervalMs: number;
  /** With fsyncPerTransaction, write through O_DIRECT where the file system allows (default true). */
  readonly directIo?: boolean;
  /** Skip damaged records in the middle of the log (logging what is lost) instead of refusing to open. */
  readonly repair: boolean;
  /**
   * Directories created (recursively, mode 0700) when missing; any other missing directory is an
   * error. The `file` channel lists all of its directories here, as Flume creates them.
   */
  readonly createMissing?: readonly string[];
  /** The configuration key of each directory (by resolved path), to name it in errors. */
  readonly dirKeys?: Readonly<Record<string, string>>;
  /** Memory for batch bytes kept after commit so that takes need not read them back (default 64 MiB). */
  readonly readCacheBytes?: number;
  /** Committed transaction ids remembered to answer 'duplicate' (default 10,000). */
  readonly dedupWindow?: number;
  /** An injected delay before every fdatasync, to emulate a slow disk in benchmarks (default 0). */
  readonly syncDelayMs?: number;
  /** Measures the free bytes of a data dir's file system (default statfs); tests inject their own. */
  readonly freeSpace?: (dir: string) => number;
}

export interface FileStoreContext {
  readonly logger: Logger;
  readonly counters: Counters;
}

/** A commit or ack waiting for its turn: outcomes are handed out in call order. */
class Op<T> {
  settled = false;
  error: Error | undefined;
  resolve!: (v: T) => void;
  reject!: (e: Error) => void;
  readonly promise: Promise<T>;

  constructor(
    /** Applies the operation to the in-memory state and gives its result; may throw. */
    readonly finish: () => T,
    /** Undoes bookkeeping done at call time when the operation failed. */
    readonly failed: () => void = () => undefined,
  ) {
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  settle(error?: Error): void {
    this.settled = true;
    this.error = error;
  }
}

interface DataDir {
  readonly dir: string;
  readonly writer: DirWriter;
  readonly space: DiskSpace;
  /** The end of the last record applied to the in-memory state (a checkpoint resumes there). */
  applied: { segId: number; offset: number };
}

const DEFAULT_CACHE = 64 * 1024 * 1024;
const DEFAULT_DEDUP = 10_000;

function stopped(name: string, why: string): SluiceError {
  return new SluiceError('SLUICE_ERR_STOPPED', `file channel ${name} ${why}`);
}

/**
 * The durable store of a `file` channel: an append-only log of PUT and ACK records over one or
 * more data directories, with group commit, periodic checkpoints of the queue, and recovery of
 * exactly the committed, unacknowledged events after a crash. See docs/file-channel.md.
 *
 * Concurrency: every method runs on one event loop. commit() and ack() resolve in call order,
 * each once its record is durable (fdatasync; with fsyncPerTransaction=false, once written).
 * take() and nack() act at once on the in-memory queue; leases are not durable.
 */
export class FileChannelStore implements ChannelStore {
  readonly capacity: number;
  private state = new QueueState();
  private readonly logger: Logger;
  protected readonly counters: Counters;
  protected locks: DirLock[] = [];
  protected segments = new Map<number, Segment>();
  protected dirs: DataDir[] = [];
  private rr = 0;
  private nextPutSeq = 0;
  private nextSegId = 1;
  /** Recent committed txIds (a Map keeps insertion order: the oldest is dropped first). */
  private txIds = new Map<string, true>();
  private pendingTx = new Map<string, Op<'ok' | 'full' | 'duplicate'>>();
  private pendingAcks = new Map<string, Op<'ok' | 'unknown'>>();
  private pendingEvents = 0;
  private ops: Op<unknown>[] = [];
  private opsHead = 0;
  private draining = false;
  private cacheBytes = 0;
  private readonly cacheLimit: number;
  private readonly dedupWindow: number;
  protected loading = new Map<Entry, Promise<StoredBatch>>();
  /** Batches whose read-back failed its checksum, with why (see take()). */
  private readonly damaged = new Map<Entry, string>();
  private repairs = 0;
  protected phase: 'new' | 'opening' | 'open' | 'closing' | 'closed' = 'new';
  private fatal: Error | undefined;
  private changes = 0;
  /** The checkpoint running, resolving true once written (segments deleted), false when it failed. */
  protected checkpointing: Promise<boolean> | undefined;
  /** Checkpoints run early below minimumRequiredSpace: when the last one started, the gap before the next. */
  private early = { at: Number.NEGATIVE_INFINITY, gap: EARLY_CHECKPOINT_MS, logged: false };
  protected timers: NodeJS.Timeout[] = [];
  private diskFullLogged = false;
  private lowSpaceLogged = false;

  constructor(
    private readonly opts: FileStoreOptions,
    ctx: FileStoreContext,
  ) {
    this.capacity = opts.capacity;
    this.logger = ctx.logger;
    this.counters = ctx.counters;
    this.cacheLimit = opts.readCacheBytes ?? DEFAULT_CACHE;
    this.dedupWindow = opts.dedupWindow ?? DEFAULT_DEDUP;
    for (const c of FILE_CHANNEL_COUNTERS) this.counters.set(c, 0);
  }

  /** Committed events not yet acknowledged (queued plus leased). */
  get size(): number {
    return this.state.size;
  }

  /** Checks and locks the directories, replays the log, writes a fresh checkpoint. */
  async open(): Promise<void> {
    if (this.phase !== 'new') throw stopped(this.opts.name, 'was already opened');
    this.phase = 'opening';
    const started = performance.now();
    try {
      this.prepareDirs();
      const checkpointDirs = [this.opts.checkpointDir, ...(this.opts.backupCheckpointDir ? [this.opts.backupCheckpointDir] : [])];
      const r = replay({
        dataDirs: this.opts.dataDirs,
        checkpointDirs,
        repair: this.opts.repair,
        dedupWindow: this.dedupWindow,
        logger: this.logger,
      });
      this.segments = r.segments;
      this.state = r.state;
      this.nextPutSeq = r.nextPutSeq;
      this.nextSegId = r.nextSegId;
      for (const t of r.txIds) this.txIds.set(t, true);
      for (const dir of this.opts.dataDirs) {
        const active = r.lastSegment.get(dir) ?? this.newSegment(dir);
        const wantDirect = this.opts.fsyncPerTransaction && this.opts.directIo !== false;
        const direct = wantDirect ? DirectWriter.open(dir) : undefined;
        if (wantDirect && direct === undefined) {
          this.logger.info({ dir }, 'The file system of this data dir refuses O_DIRECT: durable writes go through the page cache.');
        }
        const writer = new DirWriter(dir, active, {
          fsyncPerTransaction: this.opts.fsyncPerTransaction,
          maxFileSize: this.opts.maxFileSize,
          syncDelayMs: this.opts.syncDelayMs ?? 0,
          direct,
          newSegment: (d) => this.newSegment(d),
          onSync: () => this.counters.inc('FsyncCount'),
          onFatal: (err) => this.die(err),
          onWriteError: (err, records) => this.writeError(dir, err, records),
        });
        this.dirs.push({ dir, writer, space: new DiskSpace(dir, this.opts.minimumRequiredSpace, this.opts.freeSpace), applied: { segId: active.id, offset: active.written } });
      }
      const ms = Math.round(performance.now() - started);
      this.counters.set('ReplayDurationMs', ms);
      this.counters.set('EventsReplayed', this.state.size);
      this.counters.set('Open', 1);
      this.phase = 'open';
      this.logger.info(
        { events: this.state.size, batches: this.state.entries.size, from: r.source, records: r.recordsReplayed, replayMs: ms, segments: this.segments.size },
        'File channel open.',
      );
      if (this.state.size > this.capacity) {
        this.logger.warn({ events: this.state.size, capacity: this.capacity }, 'The channel holds more events than its capacity; commits answer full until it drains.');
      }
    } catch (err) {
      this.counters.set('Unhealthy', 1);
      this.releaseAll();
      this.phase = 'closed';
      throw err;
    }
    this.changes = 1;
    await this.checkpoint();
    const cpTimer = setInterval(() => {
      if (this.changes > 0) void this.checkpoint();
    }, this.opts.checkpointIntervalMs);
    cpTimer.unref();
    this.timers.push(cpTimer);
    if (!this.opts.fsyncPerTransaction) {
      const syncTimer = setInterval(() => {
        for (const d of this.dirs) d.writer.syncWritten().catch(() => undefined); // a failure is fatal and reported by the writer
      }, this.opts.fsyncIntervalMs);
      syncTimer.unref();
      this.timers.push(syncTimer);
    }
  }

  private prepareDirs(): void {
    const all = [this.opts.checkpointDir, ...(this.opts.backupCheckpointDir ? [this.opts.backupCheckpointDir] : []), ...this.opts.dataDirs];
    if (this.opts.dataDirs.length === 0) throw fileError('setup', `file channel ${this.opts.name} has no data directory`);
    const unique = [...new Set(all.map((d) => path.resolve(d)))];
    const creatable = new Set((this.opts.createMissing ?? []).map((d) => path.resolve(d)));
    for (const dir of unique) {
      const key = this.opts.dirKeys?.[dir];
      const what = `file channel ${this.opts.name}${key === undefined ? '' : `, ${key}`}`;
      let stat: fs.Stats | undefined;
      try {
        stat = fs.statSync(dir);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT' && code !== 'ENOTDIR') throw fileError('setup', `${what}: cannot use directory ${dir}: ${(err as Error).message}`, err);
      }
      if (stat === undefined) {
        if (!creatable.has(dir)) throw fileError('setup', `${what}: directory ${dir} does not exist; create it or fix the path`);
        let first: string | undefined;
        try {
          first = fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        } catch (err) {
          const reason = dirProblem(dir) ?? (err as Error).message;
          throw fileError('setup', `${what}: cannot create directory ${dir}: ${reason}`, err);
        }
        this.logger.info({ dir, key }, 'Created a missing file channel directory.');
        // Make the new directory entries durable, from the deepest up to the first one created.
        for (let d = dir; first !== undefined; d = path.dirname(d)) {
          fsyncDir(path.dirname(d));
          if (d === first) break;
        }
      } else if (!stat.isDirectory()) {
        throw fileError('setup', `${what}: ${dir} is not a directory`);
      }
    }
    for (const dir of unique) this.locks.push(DirLock.acquire(dir, this.logger));
    // A checkpoint.tmp left by a crash is garbage.
    for (const dir of [this.opts.checkpointDir, this.opts.backupCheckpointDir]) {
      if (dir) fs.rmSync(path.join(dir, `${CHECKPOINT_FILE}.tmp`), { force: true });
    }
  }

  private newSegment(dir: string): Segment {
    const seg = createSegment(dir, this.nextSegId, this.nextPutSeq);
    this.nextSegId++;
    this.segments.set(seg.id, seg);
    return seg;
  }

  private usable(): void {
    if (this.fatal) throw this.fatal;
    if (this.phase !== 'open') throw stopped(this.opts.name, this.phase === 'new' || this.phase === 'opening' ? 'is not open' : 'is closed');
  }

  // ---- ordered completion of commits and acks -------------------------------------------------

  private enqueue<T>(op: Op<T>): Promise<T> {
    this.ops.push(op as Op<unknown>);
    return op.promise;
  }

  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.opsHead < this.ops.length && this.ops[this.opsHead]!.settled) {
        const op = this.ops[this.opsHead]!;
        this.ops[this.opsHead++] = undefined as unknown as Op<unknown>;
        if (op.error) {
          op.failed();
          op.reject(op.error);
          continue;
        }
        try {
          op.resolve(op.finish());
        } catch (err) {
          op.reject(err as Error);
        }
      }
      if (this.opsHead === this.ops.length) {
        this.ops = [];
        this.opsHead = 0;
      } else if (this.opsHead > 1024 && this.opsHead * 2 > this.ops.length) {
        this.ops = this.ops.slice(this.opsHead);
        this.opsHead = 0;
      }
    } finally {
      this.draining = false;
    }
  }

  private immediate<T>(value: () => T): Promise<T> {
    const op = new Op(value);
    op.settle();
    const p = this.enqueue(op);
    this.drain();
    return p;
  }

  // ---- commit -------------------------------------------------------------------------------

  /** Room for the batch now: capacity, and a data dir above minimumRequiredSpace after it. */
  fits(txId: string, batch: StoredBatch): boolean {
    if (this.state.size + this.pendingEvents + batch.framing.starts.length > this.capacity) return false;
    const length = RECORD_HEADER_SIZE + putMetaSize(Buffer.from(txId, 'utf8')) + batch.bytes.length;
    return this.dirWithSpace(length) !== undefined;
  }

  /**
   * Appends the batch as one PUT record and resolves 'ok' once it is durable and visible at the
   * tail. 'full' (nothing written) when capacity would be exceeded or every data dir's disk would
   * drop below minimumRequiredSpace; 'duplicate' for a txId among the last committed ones. Rejects
   * with a retriable SluiceError at ENOSPC (nothing acknowledged, nothing left behind).
   */
  commit(txId: string, batch: StoredBatch): Promise<'ok' | 'full' | 'duplicate'> {
    try {
      this.usable();
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.txIds.has(txId)) return this.immediate(() => 'duplicate' as const);
    const earlier = this.pendingTx.get(txId);
    if (earlier !== undefined) {
      // The same transaction is being committed: share its outcome.
      return this.immediate(() => {
        if (earlier.error) throw earlier.error;
        return 'duplicate' as const;
      });
    }
    const tx = Buffer.from(txId, 'utf8');
    if (tx.length > 0xffff) return Promise.reject(new SluiceError('SLUICE_ERR_PROTOCOL', 'transaction id longer than 65535 bytes'));
    const count = batch.framing.starts.length;
    const length = RECORD_HEADER_SIZE + putMetaSize(tx) + batch.bytes.length;
    if (length - RECORD_HEADER_SIZE > MAX_PAYLOAD) {
      return Promise.reject(new SluiceError('SLUICE_ERR_BATCH_TOO_LARGE', `batch of ${batch.bytes.length} bytes is too large for the file channel`));
    }
    if (this.state.size + this.pendingEvents + count > this.capacity) return this.immediate(() => 'full' as const);
    const target = this.pickDirWithSpace(length);
    if (target === undefined) return this.immediate(() => 'full' as const);

    const seq = this.nextPutSeq++;
    let where: { seg: Segment; offset: number } | undefined;
    let batchOffset = 0;
    const op = new Op<'ok' | 'full' | 'duplicate'>(
      () => {
        this.pendingTx.delete(txId);
        this.pendingEvents -= count;
        const { seg, offset } = where!;
        target.applied = { segId: seg.id, offset: offset + length };
        this.rememberTx(txId);
        this.changes++;
        if (count > 0) {
          const entry = new Entry(seq, seg.id, offset, length, batchOffset, count);
          if (this.cacheBytes + batch.bytes.length <= this.cacheLimit) {
            entry.cached = batch;
            this.cacheBytes += batch.bytes.length;
          }
          seg.liveEntries++;
          this.state.add(entry);
        }
        return 'ok';
      },
      () => {
        this.pendingTx.delete(txId);
        this.pendingEvents -= count;
        this.counters.inc('EventPutErrorCount');
      },
    );
    this.pendingTx.set(txId, op);
    this.pendingEvents += count;
    const promise = this.enqueue(op);
    try {
      where = target.writer.append(
        length,
        (seg) => {
          const rec = encodePut(seg.salt, seq, count, tx, batch.bytes);
          batchOffset = rec.batchOffset;
          return [rec.head, batch.bytes];
        },
        () => this.settle(op),
        (err) => this.settle(op, err),
      );
      target.space.wrote(length);
    } catch (err) {
      this.settle(op, err as Error);
    }
    return promise;
  }

  private settle<T>(op: Op<T>, err?: Error): void {
    op.settle(err);
    // A full disk is over when space is back, not when one small record happened to fit into the
    // slack of a page already allocated: that would log the outage again at the next refusal.
    if (err === undefined && this.diskFullLogged && this.dirs.some((d) => d.space.hasAtLeast(SPACE_BACK_BYTES))) {
      this.diskFullLogged = false;
      this.logger.info('Writes to the log succeed again.');
    }
    this.drain();
  }

  private rememberTx(txId: string): void {
    this.txIds.set(txId, true);
    if (this.txIds.size > this.dedupWindow) this.txIds.delete(this.txIds.keys().next().value!);
  }

  /** The next data dir (round robin) with room for `bytes` above minimumRequiredSpace; the turn moves past it. */
  private pickDirWithSpace(bytes: number): DataDir | undefined {
    const d = this.dirWithSpace(bytes);
    if (d !== undefined) this.rr = (this.dirs.indexOf(d) + 1) % this.dirs.length;
    return d;
  }

  /** The first data dir, from the one whose turn it is, with room for `bytes`; logs a change of state. */
  private dirWithSpace(bytes: number): DataDir | undefined {
    const n = this.dirs.length;
    for (let i = 0; i < n; i++) {
      const d = this.dirs[(this.rr + i) % n]!;
      if (!d.space.wouldFallBelow(bytes)) {
        if (this.lowSpaceLogged) {
          this.lowSpaceLogged = false;
          this.early.logged = false;
          this.logger.info({ dir: d.dir, free: d.space.estimate() }, 'Free space is above minimumRequiredSpace again; accepting commits.');
        }
        return d;
      }
    }
    if (!this.lowSpaceLogged) {
      this.lowSpaceLogged = true;
      this.logger.warn(
        { dirs: this.dirs.map((d) => ({ dir: d.dir, free: d.space.estimate() })), minimumRequiredSpace: this.opts.minimumRequiredSpace },
        'Free disk space is below minimumRequiredSpace; commits answer full (takes and acks continue).',
      );
    }
    this.checkpointEarly();
    return undefined;
  }

  /**
   * Called while commits are refused below minimumRequiredSpace: when a checkpoint would delete
   * acknowledged segments, runs it now instead of at the next checkpointInterval, so that the
   * space comes back (the next commit measures it again). Never while another checkpoint runs, and
   * at most once per EARLY_CHECKPOINT_MS (doubled after each failed checkpoint, up to the interval).
   */
  private checkpointEarly(): void {
    if (this.phase !== 'open' || this.fatal || this.checkpointing) return;
    const now = performance.now();
    if (now - this.early.at < this.early.gap) return;
    const segments = this.deletableSegments().size;
    if (segments === 0) return;
    this.early.at = now;
    const fields = { segments, minimumRequiredSpace: this.opts.minimumRequiredSpace };
    if (this.early.logged) {
      this.logger.debug(fields, 'Checkpointing early to delete acknowledged segments.');
    } else {
      this.early.logged = true;
      this.logger.info(fields, `Free space is under minimumRequiredSpace: checkpointing early to delete ${segments} acknowledged segments.`);
    }
    void this.startCheckpoint().then((written) => {
      this.early.gap = written ? EARLY_CHECKPOINT_MS : Math.min(this.early.gap * 2, Math.max(this.opts.checkpointIntervalMs, EARLY_CHECKPOINT_MS));
    });
  }

  private nextDir(): DataDir {
    const d = this.dirs[this.rr % this.dirs.length]!;
    this.rr = (this.rr + 1) % this.dirs.length;
    return d;
  }

  private writeError(dir: string, err: Error, records: number): void {
    if (isNoSpace((err as { cause?: unknown }).cause) || isNoSpace(err)) {
      if (!this.diskFullLogged) {
        this.diskFullLogged = true;
        this.logger.error({ dir, records }, 'The disk is full: commits and acks are refused (retriable) until space returns; nothing written was lost.');
      }
      return;
    }
    this.logger.error({ dir, records, err }, 'A write to the log failed; the records were not acknowledged.');
  }

  private die(err: Error): void {
    if (this.fatal) return;
    this.fatal = err;
    this.counters.set('Unhealthy', 1);
    this.logger.error({ err }, 'An fdatasync failed: the channel refuses every operation until it is reopened (replay restores what is on disk).');
  }

  // ---- take / ack / nack --------------------------------------------------------------------

  /**
   * Leases up to maxEvents from the head under txId; undefined when nothing is queued. A batch
   * whose bytes on disk no longer match their checksum (damaged after it was written and covered
   * by a checkpoint, so no replay read it) fails the take and stays queued; with `repair` it is
   * dropped for good (an ACK record, logged as lost) and the take goes on with the next events.
   */
  async take(txId: string, maxEvents: number): Promise<StoredBatch | undefined> {
    this.usable();
    if (this.state.leases.has(txId)) throw new SluiceError('SLUICE_ERR_PROTOCOL', `transaction ${txId} already holds a lease`);
    for (;;) {
      const lease = this.state.take(txId, maxEvents);
      if (lease === undefined) return undefined;
      try {
        return await this.materialize(lease);
      } catch (err) {
        if (this.state.leases.get(txId) === lease) this.state.nack(txId);
        this.counters.inc('EventTakeErrorCount');
        const bad = new Set(lease.ranges.map((r) => r.entry).filter((e) => this.damaged.has(e)));
        if (bad.size === 0) {
          this.logger.error({ err, txId }, 'Could not read a batch back from the log.');
          throw err;
        }
        if (!this.opts.repair) throw err; // logged once per batch by damagedBatch()
        // Each round drops at least one damaged batch, so this loop ends.
        if (!(await this.dropDamaged(bad))) throw err;
      }
    }
  }

  /** Notes a batch found damaged at read-back (logged once) and returns the error for its take. */
  private damagedBatch(entry: Entry, seg: Segment, what: string): SluiceError {
    const remedy = this.opts.repair ? 'it is dropped (repair = true)' : 'set repair = true to drop it (logged as lost)';
    if (!this.damaged.has(entry)) {
      this.damaged.set(entry, what);
      if (!this.opts.repair) {
        this.logger.error(
          { file: seg.path, offset: entry.recOffset, putSeq: entry.seq, events: entry.live },
          'A batch in the log is damaged (its bytes no longer match their checksum): takes fail at it until it is dropped; set repair = true to drop it (logged as lost).',
        );
      }
    }
    return fileError('corrupt', `${what}: damaged on disk after it was written; ${remedy}`);
  }

  /**
   * repair: removes the queued events of damaged batches for good, with an ACK record like a
   * sink's, and logs what was lost. False when nothing could be dropped (all leased elsewhere,
   * or the ACK could not be written: the events stay queued).
   */
  private async dropDamaged(entries: ReadonlySet<Entry>): Promise<boolean> {
    const tx = `\0repair-${this.repairs++}`;
    const lease = this.state.leaseEntries(tx, entries);
    if (lease === undefined) return false;
    try {
      await this.ack(tx);
    } catch (err) {
      this.state.nack(tx);
      this.logger.error({ err }, 'Repair: could not record the drop of a damaged batch; it stays queued.');
      return false;
    }
    for (const r of lease.ranges) {
      const seg = this.segments.get(r.entry.segId);
      this.logger.error(
        { file: seg?.path, offset: r.entry.recOffset, putSeq: r.entry.seq, events: r.to - r.from, reason: this.damaged.get(r.entry) },
        'Repair: dropped a batch damaged on disk after it was written; its events are lost.',
      );
      if (r.entry.live === 0) this.damaged.delete(r.entry);
    }
    return true;
  }

  private async materialize(lease: Lease): Promise<StoredBatch> {
    const { ranges } = lease;
    const wholes = await Promise.all(ranges.map((r) => this.batchOf(r.entry)));
    const only = ranges.length === 1 ? ranges[0]! : undefined;
    if (only && only.from === 0 && only.to === only.entry.count) return wholes[0]!;
    return joinRanges(ranges.map((r, i) => ({ bytes: wholes[i]!.bytes, framing: wholes[i]!.framing, from: r.from, to: r.to })));
  }

  /** The whole batch of an entry, from memory or read back (checksum verified) from its segment. */
  private batchOf(entry: Entry): Promise<StoredBatch> {
    if (entry.cached) return Promise.resolve(entry.cached);
    const inFlight = this.loading.get(entry);
    if (inFlight) return inFlight;
    const p = this.readEntry(entry).finally(() => this.loading.delete(entry));
    this.loading.set(entry, p);
    return p;
  }

  private async readEntry(entry: Entry): Promise<StoredBatch> {
    const seg = this.segments.get(entry.segId);
    if (seg === undefined || seg.closed) throw fileError('io', `segment ${entry.segId} of batch ${entry.seq} is gone`);
    const buf = Buffer.allocUnsafe(entry.recLen);
    seg.busy++;
    try {
      let got = 0;
      while (got < buf.length) {
        const n = await new Promise<number>((resolve, reject) =>
          fs.read(seg.fd, buf, got, buf.length - got, entry.recOffset + got, (err, bytes) => (err ? reject(err) : resolve(bytes))),
        );
        if (n === 0) break;
        got += n;
      }
      if (got < buf.length) throw this.damagedBatch(entry, seg, `${seg.path} ends before the batch at offset ${entry.recOffset}`);
    } finally {
      seg.busy--;
    }
    const head = readRecordHead(buf, 0);
    if (head === undefined || RECORD_HEADER_SIZE + head.payloadLen !== entry.recLen || !recordCrcOk(buf, 0, head, seg.salt)) {
      throw this.damagedBatch(entry, seg, `the batch at offset ${entry.recOffset} of ${seg.path} no longer matches its checksum`);
    }
    const batch = new LazyBatch(buf.subarray(entry.batchOffset));
    if (entry.live > 0 && entry.cached === undefined && this.cacheBytes + batch.bytes.length <= this.cacheLimit) {
      entry.cached = batch;
      this.cacheBytes += batch.bytes.length;
    }
    return batch;
  }

  /**
   * Removes a lease's events for good: appends an ACK record and resolves 'ok' once it is durable
   * (in call order with commits). 'unknown' if no such lease. Rejects retriably at ENOSPC (the
   * lease stays; retry the ack). Acks may use the space reserved by minimumRequiredSpace.
   */
  ack(txId: string): Promise<'ok' | 'unknown'> {
    try {
      this.usable();
    } catch (err) {
      return Promise.reject(err);
    }
    const earlier = this.pendingAcks.get(txId);
    if (earlier !== undefined) {
      return this.immediate(() => {
        if (earlier.error) throw earlier.error;
        return 'unknown' as const;
      });
    }
    const ranges = this.state.ackRanges(txId);
    if (ranges === undefined) return this.immediate(() => 'unknown' as const);
    const target = this.nextDir();
    const rec = (salt: number): Buffer => encodeAck(salt, ranges);
    const length = RECORD_HEADER_SIZE + 4 + ranges.length * 16;
    let where: { seg: Segment; offset: number } | undefined;
    const op = new Op<'ok' | 'unknown'>(
      () => {
        this.pendingAcks.delete(txId);
        const { seg, offset } = where!;
        target.applied = { segId: seg.id, offset: offset + length };
        this.changes++;
        for (const r of ranges) {
          const owner = this.state.entries.get(r.putSeq)?.segId;
          if (owner !== undefined && owner !== seg.id) seg.ackRefs.add(owner);
        }
        const done = this.state.ack(txId);
        if (done === undefined) return 'unknown';
        for (const e of done) {
          const s = this.segments.get(e.segId);
          if (s) s.liveEntries--;
          if (e.cached) {
            this.cacheBytes -= e.cached.bytes.length;
            e.cached = undefined;
          }
        }
        return 'ok';
      },
      () => {
        this.pendingAcks.delete(txId);
        this.counters.inc('EventTakeErrorCount');
      },
    );
    this.pendingAcks.set(txId, op);
    const promise = this.enqueue(op);
    try {
      where = target.writer.append(length, (seg) => [rec(seg.salt)], () => this.settle(op), (err) => this.settle(op, err));
      target.space.wrote(length);
    } catch (err) {
      this.settle(op, err as Error);
    }
    return promise;
  }

  /** Returns a lease's events to the queue where they were, ahead of everything taken after them. */
  async nack(txId: string): Promise<'ok' | 'unknown'> {
    this.usable();
    if (this.pendingAcks.has(txId)) return 'unknown';
    return this.state.nack(txId) ? 'ok' : 'unknown';
  }

  // ---- checkpoints and segment deletion -----------------------------------------------------

  /**
   * Writes a checkpoint of the queue as of the last applied record, then deletes the segments
   * nothing needs any more. Concurrent calls share one run. Failures are counted and logged;
   * the log alone still recovers everything.
   */
  async checkpoint(): Promise<void> {
    await this.startCheckpoint();
  }

  /** The checkpoint running, or a new one: true once written, false when it failed. */
  private startCheckpoint(): Promise<boolean> {
    if (this.checkpointing) return this.checkpointing;
    this.checkpointing = this.runCheckpoint().finally(() => {
      this.checkpointing = undefined;
    });
    return this.checkpointing;
  }

  private async runCheckpoint(): Promise<boolean> {
    if (this.fatal) return false;
    const changes = this.changes;
    const { data, deletable } = this.snapshot();
    try {
      if (!this.opts.fsyncPerTransaction) await Promise.all(this.dirs.map((d) => d.writer.syncWritten()));
    } catch {
      return false; // fatal, already reported
    }
    const bytes = encodeCheckpoint(data);
    try {
      await writeCheckpoint(this.opts.checkpointDir, bytes);
    } catch (err) {
      this.counters.inc('CheckpointWriteErrorCount');
      this.logger.warn({ err, dir: this.opts.checkpointDir }, 'Could not write a checkpoint; the next start replays more of the log.');
      return false;
    }
    if (this.opts.backupCheckpointDir) {
      try {
        await writeCheckpoint(this.opts.backupCheckpointDir, bytes);
      } catch (err) {
        this.counters.inc('CheckpointBackupWriteErrorCount');
        this.logger.warn({ err, dir: this.opts.backupCheckpointDir }, 'Could not write the backup checkpoint; segments are kept until it succeeds.');
        return false;
      }
    }
    this.changes -= changes;
    this.deleteSegments(deletable);
    this.logger.debug({ batches: data.entries.length, bytes: bytes.length, deleted: deletable.length }, 'Checkpoint written.');
    return true;
  }

  private snapshot(): { data: CheckpointData; deletable: Segment[] } {
    const positions = this.dirs.map((d) => ({ ...d.applied }));
    const entries = [...this.state.entries.values()].map((e) => ({
      seq: e.seq,
      segId: e.segId,
      recOffset: e.recOffset,
      recLen: e.recLen,
      batchOffset: e.batchOffset,
      count: e.count,
      acked: e.acked ?? [],
    }));
    const candidates = this.deletableSegments();
    const segments = [...this.segments.values()]
      .filter((s) => !candidates.has(s) && s.ackRefs.size > 0)
      .map((s) => ({ segId: s.id, refs: [...s.ackRefs].filter((r) => this.segments.has(r) && !candidates.has(this.segments.get(r)!)) }));
    return {
      data: {
        createdAt: Date.now(),
        nextPutSeq: this.nextPutSeq,
        nextSegId: this.nextSegId,
        positions,
        segments,
        entries,
        txIds: [...this.txIds.keys()],
      },
      deletable: [...candidates],
    };
  }

  /** The segments a checkpoint written now would let go (see docs/file-channel.md). */
  private deletableSegments(): Set<Segment> {
    const active = new Set(this.dirs.map((d) => d.writer.active));
    const resumeIn = new Map(this.dirs.map((d) => [d.dir, d.applied.segId]));
    // Candidates: not active, wholly before the resume position of their dir, nothing live.
    const candidates = new Set<Segment>();
    for (const s of this.segments.values()) {
      if (!active.has(s) && s.liveEntries === 0 && s.id < (resumeIn.get(s.dir) ?? -1)) candidates.add(s);
    }
    // A segment's ACK records must outlive the puts they name (a full replay needs them).
    for (let changed = true; changed; ) {
      changed = false;
      for (const s of candidates) {
        for (const ref of s.ackRefs) {
          const target = this.segments.get(ref);
          if (target !== undefined && !candidates.has(target)) {
            candidates.delete(s);
            changed = true;
            break;
          }
        }
      }
    }
    return candidates;
  }

  private deleteSegments(list: readonly Segment[]): void {
    const dirs = new Set<string>();
    for (const s of list) {
      if (s.busy > 0 || s.liveEntries > 0) continue;
      this.segments.delete(s.id);
      s.close();
      try {
        fs.rmSync(s.path, { force: true });
        dirs.add(s.dir);
      } catch (err) {
        this.logger.warn({ err, file: s.path }, 'Could not delete a consumed segment.');
      }
    }
    for (const d of dirs) {
      try {
        fsyncDir(d);
      } catch (err) {
        this.logger.warn({ err, dir: d }, 'Could not fsync a data directory after deleting segments.');
      }
    }
    if (list.length > 0) this.logger.debug({ segments: list.map((s) => s.id) }, 'Deleted consumed segments.');
  }

  // ---- close --------------------------------------------------------------------------------

  /**
   * Waits for commits and acks in flight, writes a last checkpoint (checkpointOnClose), closes
   * the files and releases the locks. Leases are dropped: their events are queued again at the
   * next open.
   */
  async close(): Promise<void> {
    if (this.phase !== 'open') {
      this.phase = 'closed';
      return;
    }
    this.phase = 'closing';
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await Promise.all(this.dirs.map((d) => d.writer.idle()));
    for (const d of this.dirs) d.writer.cutPadding();
    await Promise.allSettled([...this.loading.values()]); // reads of takes in flight
    await this.checkpointing;
    if (this.opts.checkpointOnClose && !this.fatal) {
      if (!this.opts.fsyncPerTransaction) {
        await Promise.all(this.dirs.map((d) => d.writer.syncWritten().catch(() => undefined)));
      }
      await this.checkpoint();
    } else if (!this.opts.fsyncPerTransaction && !this.fatal) {
      await Promise.all(this.dirs.map((d) => d.writer.syncWritten().catch(() => undefined)));
    }
    this.releaseAll();
    this.phase = 'closed';
    this.counters.set('Open', 0);
    this.logger.info({ events: this.state.size }, 'File channel closed.');
  }

  private releaseAll(): void {
    for (const s of this.segments.values()) s.close();
    for (const l of this.locks) l.release();
    this.locks = [];
  }
}
