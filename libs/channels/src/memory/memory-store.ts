import { joinRanges, RecentSet, type BatchFraming, type ChannelStore, type StoredBatch } from '@sluice/core';

/** Events [from, to) of one committed batch; `firstSeq` is the commit-order number of event `from`. */
interface Piece {
  readonly bytes: Buffer;
  readonly framing: BatchFraming;
  from: number;
  readonly to: number;
  firstSeq: number;
  /** Flume's byte budget, in 100-byte slots, of the events still in this piece. */
  slots: number;
}

export interface MemoryStoreOptions {
  capacity: number;
  /** Body bytes the channel may hold (Flume's byteCapacity less its buffer percentage); 0 = unlimited. */
  byteBudget: number;
}

/**
 * The memory channel's store: committed batches kept as their encoded bytes, leased out by
 * slicing, never decoded. Lost if its process dies (that is what `memory` means).
 */
export class MemoryStore implements ChannelStore {
  private queue: Piece[] = [];
  private head = 0;
  private readonly leases = new Map<string, Piece[]>();
  private readonly committed = new RecentSet(100_000);
  private nextSeq = 0;
  private events = 0;
  private usedSlots = 0;

  constructor(private readonly options: MemoryStoreOptions) {}

  get capacity(): number {
    return this.options.capacity;
  }

  get size(): number {
    return this.events;
  }

  async open(): Promise<void> {}

  fits(_txId: string, batch: StoredBatch): boolean {
    const n = batch.framing.starts.length;
    const slotBudget = this.options.byteBudget / 100;
    if (this.events + n > this.options.capacity) return false;
    return slotBudget <= 0 || this.usedSlots + slotsOf(batch.framing, 0, n) <= slotBudget;
  }

  async commit(txId: string, batch: StoredBatch): Promise<'ok' | 'full' | 'duplicate'> {
    if (this.committed.has(txId)) return 'duplicate';
    if (!this.fits(txId, batch)) return 'full';
    const n = batch.framing.starts.length;
    const slots = slotsOf(batch.framing, 0, n);
    this.committed.add(txId);
    if (n === 0) return 'ok';
    this.queue.push({ bytes: batch.bytes, framing: batch.framing, from: 0, to: n, firstSeq: this.nextSeq, slots });
    this.nextSeq += n;
    this.events += n;
    this.usedSlots += slots;
    return 'ok';
  }

  async take(txId: string, maxEvents: number): Promise<StoredBatch | undefined> {
    const taken: Piece[] = [];
    let need = maxEvents;
    while (need > 0 && this.head < this.queue.length) {
      const p = this.queue[this.head]!;
      const available = p.to - p.from;
      if (available <= need) {
        taken.push(p);
        this.queue[this.head++] = undefined as unknown as Piece; // let the bytes go with the lease
        need -= available;
      } else {
        const slots = slotsOf(p.framing, p.from, p.from + need);
        taken.push({ ...p, to: p.from + need, slots });
        p.from += need;
        p.firstSeq += need;
        p.slots -= slots;
        need = 0;
      }
    }
    this.compact();
    if (taken.length === 0) return undefined;
    this.leases.set(txId, taken);
    return toBatch(taken);
  }

  async ack(txId: string): Promise<'ok' | 'unknown'> {
    const pieces = this.leases.get(txId);
    if (!pieces) return 'unknown';
    this.leases.delete(txId);
    for (const p of pieces) {
      this.events -= p.to - p.from;
      this.usedSlots -= p.slots;
    }
    return 'ok';
  }

  async nack(txId: string): Promise<'ok' | 'unknown'> {
    const pieces = this.leases.get(txId);
    if (!pieces) return 'unknown';
    this.leases.delete(txId);
    // Back to the head, each piece before the first queued piece committed after it.
    for (const p of pieces) {
      let i = this.head;
      while (i < this.queue.length && this.queue[i]!.firstSeq < p.firstSeq) i++;
      this.queue.splice(i, 0, p);
    }
    return 'ok';
  }

  async close(): Promise<void> {}

  private compact(): void {
    if (this.head > 64 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}

/** Flume budgets bodies in 100-byte slots, at least one per event. */
function slotsOf(framing: BatchFraming, from: number, to: number): number {
  let slots = 0;
  for (let i = from; i < to; i++) slots += Math.max(1, Math.ceil(framing.bodyLens[i]! / 100));
  return slots;
}

function toBatch(pieces: readonly Piece[]): StoredBatch {
  const only = pieces.length === 1 ? pieces[0]! : undefined;
  if (only && only.from === 0 && only.to === only.framing.starts.length) return { bytes: only.bytes, framing: only.framing };
  return joinRanges(pieces);
}
