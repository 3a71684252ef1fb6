import type { StoredBatch } from '@sluice/core';
import type { AckRange } from './record-format.js';

/** A batch held by the log, cached bytes optional. */
export class Entry {
  /** Events of this batch not yet acknowledged. */
  live: number;
  /** Acknowledged event ranges, sorted and disjoint, flattened as [from0, to0, from1, to1, ...]. */
  acked: number[] | undefined;
  /** The batch bytes when held in memory (recently committed or read), else read from the segment. */
  cached: StoredBatch | undefined;

  constructor(
    /** The global put sequence number: the order of the channel. */
    readonly seq: number,
    readonly segId: number,
    /** Where the PUT record starts in its segment, and its total length. */
    readonly recOffset: number,
    readonly recLen: number,
    /** Offset of the batch bytes from the start of the record. */
    readonly batchOffset: number,
    readonly count: number,
  ) {
    this.live = count;
  }

  get batchLen(): number {
    return this.recLen - this.batchOffset;
  }

  /** Marks [from, to) acknowledged; returns how many of those events were not acknowledged yet. */
  markAcked(from: number, to: number): number {
    from = Math.max(0, from);
    to = Math.min(this.count, to);
    if (to <= from) return 0;
    const a = this.acked ?? [];
    // Merge [from, to) into the sorted interval list, counting only newly covered events.
    const out: number[] = [];
    let covered = 0;
    let f = from;
    let t = to;
    let i = 0;
    for (; i < a.length && a[i + 1]! < f; i += 2) out.push(a[i]!, a[i + 1]!);
    for (; i < a.length && a[i]! <= t; i += 2) {
      covered += Math.max(0, Math.min(a[i + 1]!, to) - Math.max(a[i]!, from));
      f = Math.min(f, a[i]!);
      t = Math.max(t, a[i + 1]!);
    }
    out.push(f, t);
    for (; i < a.length; i += 2) out.push(a[i]!, a[i + 1]!);
    this.acked = out;
    const added = to - from - covered;
    this.live -= added;
    return added;
  }

  /** The event ranges not acknowledged, in order. */
  liveRanges(): [number, number][] {
    const a = this.acked;
    if (a === undefined) return this.count > 0 ? [[0, this.count]] : [];
    const out: [number, number][] = [];
    let pos = 0;
    for (let i = 0; i < a.length; i += 2) {
      if (a[i]! > pos) out.push([pos, a[i]!]);
      pos = a[i + 1]!;
    }
    if (pos < this.count) out.push([pos, this.count]);
    return out;
  }
}

/** A run of events [from, to) of one entry. */
export interface Range {
  readonly entry: Entry;
  readonly from: number;
  readonly to: number;
}

export interface Lease {
  readonly ranges: Range[];
  readonly count: number;
}

function before(a: Range, b: Range): boolean {
  return a.entry.seq < b.entry.seq || (a.entry.seq === b.entry.seq && a.from < b.from);
}

/**
 * The in-memory state of a file channel: committed batches in put order, the queue of events not
 * leased, and the leases. Pure bookkeeping: it never touches the disk. The queue stays sorted by
 * (putSeq, event index): a nacked lease goes back exactly where its events were, which is ahead
 * of everything taken after it and the order a restart would rebuild.
 */
export class QueueState {
  /** Batches with at least one unacknowledged event, in put order. */
  readonly entries = new Map<number, Entry>();
  readonly leases = new Map<string, Lease>();
  private queue: Range[] = [];
  private head = 0;
  /** Committed, unacknowledged events (queued plus leased). */
  size = 0;
  /** Events queued (not leased). */
  queued = 0;

  /** Appends a committed batch at the tail. */
  add(entry: Entry): void {
    if (entry.live === 0) return;
    this.entries.set(entry.seq, entry);
    this.size += entry.live;
    for (const [from, to] of entry.liveRanges()) this.pushTail({ entry, from, to });
  }

  /** Adds an entry restored by replay; call rebuildQueue() once all are in. */
  restore(entry: Entry): void {
    this.entries.set(entry.seq, entry);
  }

  /** After replay: drops fully acknowledged entries and queues the rest in put order. */
  rebuildQueue(): Entry[] {
    const dropped: Entry[] = [];
    const sorted = [...this.entries.values()].sort((a, b) => a.seq - b.seq);
    this.entries.clear();
    this.queue = [];
    this.head = 0;
    this.size = 0;
    this.queued = 0;
    for (const e of sorted) {
      if (e.live <= 0) dropped.push(e);
      else this.add(e);
    }
    return dropped;
  }

  private pushTail(r: Range): void {
    this.queue.push(r);
    this.queued += r.to - r.from;
  }

  /** Leases up to max events from the head; undefined when none is queued. */
  take(txId: string, max: number): Lease | undefined {
    if (this.queued === 0 || max < 1) return undefined;
    const ranges: Range[] = [];
    let count = 0;
    while (count < max && this.head < this.queue.length) {
      const r = this.queue[this.head]!;
      const n = r.to - r.from;
      if (count + n <= max) {
        ranges.push(r);
        count += n;
        this.queue[this.head++] = undefined as unknown as Range;
      } else {
        const cut = r.from + (max - count);
        ranges.push({ entry: r.entry, from: r.from, to: cut });
        this.queue[this.head] = { entry: r.entry, from: cut, to: r.to };
        count = max;
      }
    }
    this.queued -= count;
    this.compact();
    const lease = { ranges, count };
    this.leases.set(txId, lease);
    return lease;
  }

  /**
   * Leases every queued event of these entries under txId, wherever they are in the queue (to
   * drop damaged batches); undefined when none of their events is queued.
   */
  leaseEntries(txId: string, entries: ReadonlySet<Entry>): Lease | undefined {
    const ranges: Range[] = [];
    const kept: Range[] = [];
    let count = 0;
    for (let i = this.head; i < this.queue.length; i++) {
      const r = this.queue[i]!;
      if (entries.has(r.entry)) {
        ranges.push(r);
        count += r.to - r.from;
      } else {
        kept.push(r);
      }
    }
    if (count === 0) return undefined;
    this.queue = kept;
    this.head = 0;
    this.queued -= count;
    const lease = { ranges, count };
    this.leases.set(txId, lease);
    return lease;
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  /** The ranges an ACK record must name for this lease (undefined if no such lease). */
  ackRanges(txId: string): AckRange[] | undefined {
    const lease = this.leases.get(txId);
    return lease?.ranges.map((r) => ({ putSeq: r.entry.seq, from: r.from, to: r.to }));
  }

  /** Removes a lease's events for good; returns the entries that became fully acknowledged. */
  ack(txId: string): Entry[] | undefined {
    const lease = this.leases.get(txId);
    if (lease === undefined) return undefined;
    this.leases.delete(txId);
    const done: Entry[] = [];
    for (const r of lease.ranges) {
      this.size -= r.entry.markAcked(r.from, r.to);
      if (r.entry.live === 0 && this.entries.delete(r.entry.seq)) done.push(r.entry);
    }
    return done;
  }

  /** Applies an ACK record during replay; returns the entry if it became fully acknowledged. */
  replayAck(range: AckRange): Entry | undefined {
    const e = this.entries.get(range.putSeq);
    if (e === undefined) return undefined;
    e.markAcked(range.from, range.to);
    return e.live === 0 ? e : undefined;
  }

  /** Returns a lease's events to the queue where they were, ahead of anything taken after them. */
  nack(txId: string): boolean {
    const lease = this.leases.get(txId);
    if (lease === undefined) return false;
    this.leases.delete(txId);
    for (let i = lease.ranges.length - 1; i >= 0; i--) this.insertSorted(lease.ranges[i]!);
    this.queued += lease.count;
    return true;
  }

  private insertSorted(r: Range): void {
    // Binary search for the first queued range not before r.
    let lo = this.head;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(this.queue[mid]!, r)) lo = mid + 1;
      else hi = mid;
    }
    const next = lo < this.queue.length ? this.queue[lo]! : undefined;
    if (next !== undefined && next.entry === r.entry && next.from === r.to) {
      this.queue[lo] = { entry: r.entry, from: r.from, to: next.to }; // rejoin a split batch
      return;
    }
    if (lo === this.head && this.head > 0) this.queue[--this.head] = r;
    else this.queue.splice(lo, 0, r);
  }

  /** Queued ranges in order (tests and checkpoints). */
  queuedRanges(): Range[] {
    return this.queue.slice(this.head);
  }
}
