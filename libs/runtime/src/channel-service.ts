import {
  type AckReply,
  frameBatch,
  emptyBatch,
  SluiceError,
  type ChannelStore,
  type Counters,
  type Logger,
  type Reply,
  type Request,
  RecentSet,
  type StoredBatch,
} from '@sluice/core';

export interface ChannelServiceOptions {
  readonly name: string;
  /** Most events one PUT or TAKE may carry (Flume's transactionCapacity). */
  readonly transactionCapacity: number;
  /** How long a lease lives without an ACK, NACK or RENEW before its events are re-queued. */
  readonly leaseMs: number;
  /** What a FULL reply tells the sender to wait before it retries. */
  readonly retryAfterMs: number;
  /**
   * How long a commit that finds the channel full waits for room before it is answered FULL
   * (Flume's keep-alive); 0 answers FULL at once. Waiting, the batch crosses the socket once
   * instead of once per retry.
   */
  readonly fullWaitMs: number;
  readonly counters: Counters;
  readonly logger: Logger;
}

interface Lease {
  readonly peer: string;
  readonly count: number;
  expires: number;
}

/** A commit waiting for room; `resolvers` answers it (and any re-send of the same tx). */
interface WaitingCommit {
  readonly peer: string;
  readonly tx: string;
  readonly batch: StoredBatch;
  readonly epoch: number | undefined;
  readonly deadline: number;
  readonly resolvers: ((reply: Reply) => void)[];
}

/** How often commits waiting for room are retried, besides after every ACK. */
const ROOM_POLL_MS = 100;

interface Waiter {
  readonly peer: string;
  readonly tx: string;
  readonly max: number;
  readonly timer: NodeJS.Timeout;
  readonly resolve: (reply: Reply) => void;
}

/**
 * The transactions of one channel over any store (DESIGN §3): staged PUTs, commits, leases with
 * owners and expiry, idempotent COMMIT/ACK, FULL with ordered retries, waiting TAKEs.
 *
 * A full channel: a commit waits for room up to `fullWaitMs`, in arrival order behind those
 * already waiting, and is retried after every ACK (and every 100 ms, for disk space). One that
 * waited in vain is answered FULL, with the same peer's commits queued behind it.
 *
 * Ordering after FULL: a sender numbers its PUTs with an epoch and starts a new epoch after it
 * sees FULL. Once a PUT of epoch e from a peer is answered FULL, every later PUT of epoch ≤ e from
 * that peer is answered FULL too, so batches the sender had in flight never overtake the one
 * refused: committed order is emit order.
 */
export class ChannelService {
  private readonly staged = new Map<string, { peer: string; batch: StoredBatch }>();
  private readonly leases = new Map<string, Lease>();
  private readonly acked = new RecentSet(100_000);
  private readonly committed = new RecentSet(100_000);
  /**
   * TAKEs the taker gave up on (NACKed without a lease: its answer never came, e.g. across a
   * channel restart). Requests are handled concurrently, so the TAKE may still be parked, in the
   * store, or not yet read: it must then lease nothing, or its events would sit leased to nobody.
   */
  private readonly abandoned = new RecentSet(100_000);
  private readonly refusedEpoch = new Map<string, number>();
  private waiters: Waiter[] = [];
  private waitingCommits: WaitingCommit[] = [];
  private roomPoll: NodeJS.Timeout | undefined;
  private retryingCommits = false;
  private retryAgain = false;
  /**
   * Routing-id prefixes of workers the supervisor said are dead (the latest 64). Their requests
   * still queued in the socket can arrive after `peerDied`: a TAKE served then would lease events
   * to nobody until the lease expired.
   */
  private readonly dead: string[] = [];
  private serving = false;
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly store: ChannelStore,
    private readonly options: ChannelServiceOptions,
  ) {
    this.sweeper = setInterval(() => void this.expireLeases(), Math.min(1000, options.leaseMs));
    this.sweeper.unref();
    this.updateGauges();
  }

  get size(): number {
    return this.store.size;
  }

  /**
   * Answers one request. A store that fails (a full disk, an I/O error) turns into an ERROR reply
   * carrying its retriable flag: the sender re-sends the same tx, nothing is half-applied.
   */
  async handle(peer: string, req: Request): Promise<Reply> {
    if (this.isDead(peer)) {
      return errorReply(req.tx, new SluiceError('SLUICE_ERR_STOPPED', `${peer} was reported dead; its late request is ignored`));
    }
    try {
      return await this.dispatch(peer, req);
    } catch (err) {
      if (!(err instanceof SluiceError)) throw err;
      this.options.counters.inc(req.type === 'PUT' || req.type === 'COMMIT' ? 'EventPutErrorCount' : 'EventTakeErrorCount');
      return errorReply(req.tx, err);
    }
  }

  private async dispatch(peer: string, req: Request): Promise<Reply> {
    switch (req.type) {
      case 'PUT':
        return this.put(peer, req.tx, req.batch, req.commit, req.epoch, req.wait);
      case 'COMMIT': {
        const staged = this.staged.get(req.tx);
        if (!staged) return this.committed.has(req.tx) ? { type: 'COMMITTED', tx: req.tx } : { type: 'UNKNOWN_TX', tx: req.tx };
        this.staged.delete(req.tx);
        return this.commit(peer, req.tx, staged.batch, undefined);
      }
      case 'ROLLBACK':
        this.staged.delete(req.tx);
        return { type: 'ROLLED_BACK', tx: req.tx };
      case 'TAKE': {
        // An ACK riding on the TAKE is settled alongside it (durable before the reply, as alone).
        // The TAKE is queued now, not after the ACK: TAKEs are served in arrival order, and one
        // without an ACK must not overtake one whose ACK is waiting for its fdatasync.
        const ack = req.ack === undefined ? undefined : this.ackFor(peer, req.ack);
        const [reply, ackReply] = await Promise.all([this.take(peer, req.tx, req.max, req.waitMs), ack]);
        return ackReply && reply.type === 'BATCH' ? { ...reply, ack: ackReply } : reply;
      }
      case 'ACK':
        return this.ack(req.tx);
      case 'NACK':
        if (!this.leases.has(req.tx)) this.abandonTake(req.tx);
        await this.release(req.tx);
        return { type: 'NACKED', tx: req.tx };
      case 'RENEW': {
        const lease = this.leases.get(req.tx);
        if (!lease) return { type: 'LEASE_EXPIRED', tx: req.tx };
        lease.expires = Date.now() + this.options.leaseMs;
        return { type: 'RENEWED', tx: req.tx };
      }
    }
  }

  /** An ACK carried by a TAKE, answered as `handle` would answer it alone. */
  private async ackFor(peer: string, tx: string): Promise<AckReply> {
    const reply = await this.handle(peer, { type: 'ACK', tx });
    if (reply.type === 'ACKED' || reply.type === 'LEASE_EXPIRED' || reply.type === 'ERROR') return reply;
    throw new Error(`an ACK was answered ${reply.type}`);
  }

  private async put(peer: string, tx: string, bytes: Buffer, commit: boolean, epoch: number, wait: number | undefined): Promise<Reply> {
    let framing;
    try {
      framing = frameBatch(bytes, this.options.transactionCapacity);
    } catch (err) {
      if (err instanceof SluiceError && err.code === 'SLUICE_ERR_BATCH_TOO_LARGE') {
        return errorReply(tx, new SluiceError(err.code, `${err.message}: transactionCapacity of channel ${this.options.name}`));
      }
      return errorReply(tx, err);
    }
    const n = framing.starts.length;
    this.options.counters.inc('EventPutAttemptCount', n);
    const batch = { bytes, framing };
    if (!commit) {
      this.staged.set(tx, { peer, batch });
      return { type: 'PUT_OK', tx };
    }
    return this.commit(peer, tx, batch, epoch, wait);
  }

  private async commit(peer: string, tx: string, batch: StoredBatch, epoch: number | undefined, wait?: number): Promise<Reply> {
    const refused = this.refusedEpoch.get(peer);
    if (epoch !== undefined && refused !== undefined && epoch <= refused) return this.full(tx);
    if (this.committed.has(tx)) return { type: 'COMMITTED', tx };
    const waiting = this.waitingCommits.find((w) => w.tx === tx);
    if (waiting) return new Promise<Reply>((resolve) => waiting.resolvers.push(resolve)); // a re-send
    // Decided now, in arrival order (commits are handled concurrently): one that finds no room,
    // or commits already waiting, holds back every later one, even a smaller one that would fit.
    const waitMs = Math.min(this.options.fullWaitMs, wait ?? Infinity);
    if (this.waitingCommits.length > 0 || !this.store.fits(tx, batch)) return this.noRoom(peer, tx, batch, epoch, waitMs);
    let outcome;
    try {
      outcome = await this.store.commit(tx, batch);
    } catch (err) {
      // Refused like FULL, so the sender's later batches cannot overtake this one.
      if (epoch !== undefined) this.refusedEpoch.set(peer, epoch);
      throw err;
    }
    return outcome === 'full' ? this.noRoom(peer, tx, batch, epoch, waitMs) : this.committedReply(tx, batch, outcome);
  }

  /** Waits for room up to `waitMs` (see the class comment), or with no wait answers FULL and ends the epoch. */
  private noRoom(peer: string, tx: string, batch: StoredBatch, epoch: number | undefined, waitMs: number): Reply | Promise<Reply> {
    if (waitMs > 0) return this.waitForRoom(peer, tx, batch, epoch, waitMs);
    if (epoch !== undefined) this.refusedEpoch.set(peer, epoch);
    return this.full(tx);
  }

  private full(tx: string): Reply {
    return { type: 'FULL', tx, retryAfterMs: this.options.retryAfterMs };
  }

  private async committedReply(tx: string, batch: StoredBatch, outcome: 'ok' | 'duplicate'): Promise<Reply> {
    this.committed.add(tx);
    if (outcome === 'ok') {
      this.options.counters.inc('EventPutSuccessCount', batch.framing.starts.length);
      this.updateGauges();
      await this.serveWaiters();
    }
    return { type: 'COMMITTED', tx };
  }

  private waitForRoom(peer: string, tx: string, batch: StoredBatch, epoch: number | undefined, waitMs: number): Promise<Reply> {
    return new Promise<Reply>((resolve) => {
      this.waitingCommits.push({ peer, tx, batch, epoch, deadline: Date.now() + waitMs, resolvers: [resolve] });
      this.roomPoll ??= setInterval(() => void this.retryCommits(), Math.min(ROOM_POLL_MS, this.options.fullWaitMs));
    });
  }

  /**
   * Commits the waiting batches, oldest first, while they fit; answers FULL to the oldest once its
   * wait is over, and to the same peer's commits behind it. One loop at a time; a call during the
   * loop runs it once more (room may have come while the store was asked).
   */
  private async retryCommits(): Promise<void> {
    if (this.retryingCommits) {
      this.retryAgain = true;
      return;
    }
    this.retryingCommits = true;
    try {
      do {
        this.retryAgain = false;
        while (this.waitingCommits.length > 0) {
          const w = this.waitingCommits[0]!;
          if (Date.now() >= w.deadline) {
            this.refuse(w, this.full(w.tx));
            continue;
          }
          if (!this.store.fits(w.tx, w.batch)) break;
          let outcome;
          try {
            outcome = await this.store.commit(w.tx, w.batch);
          } catch (err) {
            this.options.counters.inc('EventPutErrorCount');
            this.refuse(w, errorReply(w.tx, err));
            continue;
          }
          if (outcome === 'full') break;
          // Answered meanwhile only if its peer died or the channel is closing: nothing to tell.
          const stillWaiting = this.waitingCommits.indexOf(w);
          if (stillWaiting >= 0) this.waitingCommits.splice(stillWaiting, 1);
          const reply = await this.committedReply(w.tx, w.batch, outcome);
          if (stillWaiting >= 0) for (const r of w.resolvers) r(reply);
        }
      } while (this.retryAgain);
    } finally {
      this.retryingCommits = false;
      if (this.waitingCommits.length === 0) {
        clearInterval(this.roomPoll);
        this.roomPoll = undefined;
      }
    }
  }

  /**
   * Refuses a waiting commit with `first` and, so that none overtakes it, the same peer's commits
   * waiting behind it with FULL; ends that peer's epoch.
   */
  private refuse(refused: WaitingCommit, first: Reply): void {
    if (refused.epoch !== undefined) this.refusedEpoch.set(refused.peer, refused.epoch);
    this.answerWaiting(
      (w) => w === refused || w.peer === refused.peer,
      (w) => (w === refused ? first : this.full(w.tx)),
    );
  }

  /** Removes the waiting commits `which` selects and answers each with `answer`. */
  private answerWaiting(which: (w: WaitingCommit) => boolean, answer: (w: WaitingCommit) => Reply): void {
    const chosen = this.waitingCommits.filter(which);
    this.waitingCommits = this.waitingCommits.filter((w) => !which(w));
    for (const w of chosen) for (const r of w.resolvers) r(answer(w));
  }

  private async take(peer: string, tx: string, max: number, waitMs: number): Promise<Reply> {
    if (this.leases.has(tx)) {
      return errorReply(tx, new SluiceError('SLUICE_ERR_PROTOCOL', `transaction ${tx} already holds a lease`));
    }
    if (this.abandoned.has(tx)) return this.emptyReply(tx);
    const limit = Math.max(1, Math.min(max, this.options.transactionCapacity));
    // TAKEs are served strictly in arrival order: a sink with several TAKEs in flight delivers
    // their batches in the order it asked, so a later TAKE must never be served before an earlier one.
    if (this.waiters.length === 0 && !this.serving) {
      const reply = await this.tryTake(peer, tx, limit);
      if (reply || waitMs <= 0) return reply ?? this.emptyReply(tx);
    } else if (waitMs <= 0) {
      waitMs = 1;
    }
    if (this.isDead(peer)) return this.emptyReply(tx); // it died while the store was asked
    const answer = new Promise<Reply>((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.tx !== tx);
        resolve(this.emptyReply(tx));
      }, waitMs);
      this.waiters.push({ peer, tx, max: limit, timer, resolve });
    });
    // A commit may have landed while the store was asked: serve now if anything is queued.
    await this.serveWaiters();
    return answer;
  }

  private async tryTake(peer: string, tx: string, max: number): Promise<Reply | undefined> {
    const batch = await this.store.take(tx, max);
    if (!batch) return undefined;
    if (this.isDead(peer) || this.abandoned.has(tx)) {
      await this.store.nack(tx); // the taker died or gave up while the store was asked
      return undefined;
    }
    const count = batch.framing.starts.length;
    this.leases.set(tx, { peer, count, expires: Date.now() + this.options.leaseMs });
    // Flume counts one take attempt per event asked for that came, plus the one that found none;
    // its successes only when the take transaction commits (here: at the ACK).
    this.options.counters.inc('EventTakeAttemptCount', count + (count < max ? 1 : 0));
    return { type: 'BATCH', tx, count, batch: batch.bytes };
  }

  private emptyReply(tx: string): Reply {
    this.options.counters.inc('EventTakeAttemptCount');
    return { type: 'BATCH', tx, count: 0, batch: emptyBatch() };
  }

  /** Serves parked TAKEs in arrival order while events are queued; one loop at a time. */
  private async serveWaiters(): Promise<void> {
    if (this.serving) return;
    this.serving = true;
    try {
      while (this.waiters.length > 0 && this.store.size > this.leasedEvents()) {
        const w = this.waiters[0]!;
        if (this.isDead(w.peer)) {
          this.waiters.shift();
          clearTimeout(w.timer);
          continue;
        }
        const reply = await this.tryTake(w.peer, w.tx, w.max);
        if (!reply) {
          if (this.waiters[0] !== w || this.isDead(w.peer)) continue;
          return;
        }
        if (this.waiters[0] !== w) {
          // It timed out (answered empty) while the store was asked: give the events back.
          await this.release(w.tx);
          continue;
        }
        this.waiters.shift();
        clearTimeout(w.timer);
        w.resolve(reply);
      }
    } finally {
      this.serving = false;
    }
  }

  /** Records a TAKE its taker gave up on, and answers it empty if it is parked. */
  private abandonTake(tx: string): void {
    this.abandoned.add(tx);
    const w = this.waiters.find((x) => x.tx === tx);
    if (!w) return;
    this.waiters = this.waiters.filter((x) => x !== w);
    clearTimeout(w.timer);
    w.resolve(this.emptyReply(tx));
  }

  private isDead(peer: string): boolean {
    return this.dead.length > 0 && this.dead.some((prefix) => peer.startsWith(prefix));
  }

  private leasedEvents(): number {
    let n = 0;
    for (const l of this.leases.values()) n += l.count;
    return n;
  }

  private async ack(tx: string): Promise<Reply> {
    if (!this.leases.has(tx)) {
      if (this.acked.has(tx)) return { type: 'ACKED', tx };
      this.options.counters.inc('LeaseExpiredAckCount');
      return { type: 'LEASE_EXPIRED', tx };
    }
    const lease = this.leases.get(tx)!;
    const outcome = await this.store.ack(tx);
    this.leases.delete(tx);
    this.acked.add(tx);
    this.options.counters.inc('EventTakeSuccessCount', lease.count);
    if (outcome === 'unknown') this.options.logger.warn({ tx }, 'The store had no lease for an acknowledged transaction.');
    this.updateGauges();
    if (this.waitingCommits.length > 0) void this.retryCommits();
    return { type: 'ACKED', tx };
  }

  /** Returns a lease's events to the head of the queue (NACK, expiry, a dead taker). */
  private async release(tx: string): Promise<void> {
    if (!this.leases.delete(tx)) return;
    await this.store.nack(tx);
    await this.serveWaiters();
  }

  /** The supervisor says a worker died: re-queue its leases now, forget its staged puts. */
  async peerDied(peerPrefix: string): Promise<number> {
    this.dead.push(peerPrefix);
    if (this.dead.length > 64) this.dead.shift();
    // Its parked TAKEs go first: releasing a lease serves the waiters, and must not serve the dead.
    for (const w of this.waiters.filter((w) => w.peer.startsWith(peerPrefix))) clearTimeout(w.timer);
    this.waiters = this.waiters.filter((w) => !w.peer.startsWith(peerPrefix));
    for (const [tx, s] of [...this.staged]) if (s.peer.startsWith(peerPrefix)) this.staged.delete(tx);
    const gone = new SluiceError('SLUICE_ERR_STOPPED', `${peerPrefix} was reported dead`);
    this.answerWaiting((w) => w.peer.startsWith(peerPrefix), (w) => errorReply(w.tx, gone));
    let events = 0;
    for (const [tx, lease] of [...this.leases]) {
      if (!lease.peer.startsWith(peerPrefix)) continue;
      events += lease.count;
      await this.release(tx);
    }
    for (const peer of [...this.refusedEpoch.keys()]) if (peer.startsWith(peerPrefix)) this.refusedEpoch.delete(peer);
    if (events > 0) this.options.logger.warn({ peer: peerPrefix, events }, 'Re-queued the leases of a worker that died.');
    return events;
  }

  private async expireLeases(): Promise<void> {
    const now = Date.now();
    for (const [tx, lease] of [...this.leases]) {
      if (lease.expires > now) continue;
      this.options.logger.warn({ tx, peer: lease.peer, events: lease.count }, 'A lease expired; its events are back at the head of the queue.');
      this.options.counters.inc('LeaseExpiredCount');
      await this.release(tx);
    }
  }

  private updateGauges(): void {
    const size = this.store.size;
    const capacity = this.store.capacity;
    this.options.counters.set('ChannelSize', size);
    this.options.counters.set('ChannelCapacity', capacity);
    this.options.counters.set('ChannelFillPercentage', capacity === 0 ? Number.MAX_VALUE : (size / capacity) * 100);
  }

  /** Stops timers, answers waiting TAKEs with empty batches and waiting commits with STOPPED; the store is closed by its owner. */
  close(): void {
    clearInterval(this.sweeper);
    clearInterval(this.roomPoll);
    const closing = new SluiceError('SLUICE_ERR_STOPPED', `channel ${this.options.name} is closing`);
    this.answerWaiting(() => true, (w) => errorReply(w.tx, closing));
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.resolve(this.emptyReply(w.tx));
    }
    this.waiters = [];
  }
}

function errorReply(tx: string, err: unknown): Reply {
  const e = err instanceof SluiceError ? err : new SluiceError('SLUICE_ERR_PROTOCOL', String(err), { cause: err });
  return { type: 'ERROR', tx, code: e.code, retriable: e.retriable, message: e.message };
}
