import { ChannelFullError, RateLimitedWarn, SluiceError, type Logger, type Reply } from '@sluice/core';
import type { ChannelClient } from '@sluice/transport';

/** Pause after a retriable channel error (a full disk): longer than a FULL, which clears fast. */
const RETRY_AFTER_ERROR_MS = 250;
/** Least time between two "channel is full" warnings of one writer; the ones between go to debug. */
const FULL_WARN_INTERVAL_MS = 10_000;

interface Entry {
  readonly tx: string;
  readonly batch: Buffer;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
  /** How long this entry may wait for room in a full channel, from its first send (Infinity: for ever). */
  readonly fullWaitMs: number;
  /** When this entry was first sent. */
  firstSent: number | undefined;
  epoch: number;
  inFlight: boolean;
}

export interface ChannelWriterOptions {
  readonly channel: string;
  /** Batches in flight at once (2–8 hides the round trips); also what `writable` measures. */
  readonly window: number;
  /** How long to wait for an answer before re-sending the same tx. */
  readonly requestTimeoutMs: number;
  readonly logger: Logger;
  /** A prefix for this writer's transaction ids, unique across restarts of the worker. */
  readonly txPrefix: string;
}

/**
 * Commits batches to one channel in call order, with up to `window` PUT+COMMITs in flight.
 * FULL: the writer starts a new epoch, waits the channel's retryAfterMs, and re-sends every refused
 * batch in order (the channel refuses the rest of the old epoch, so none overtakes another).
 * A timeout re-sends the same tx: the channel answers a duplicate commit without storing it twice.
 * A batch leaves the writer only committed, or rejected (past its full wait, refused for good, or
 * stopped): the writer never sends a batch again once this channel committed it.
 *
 * The window is the source's back-pressure: `writable` is false while a full window and one batch
 * behind it wait for their commit. A full streak is logged once at warn, then at debug within FULL_WARN_INTERVAL_MS.
 */
export class ChannelWriter {
  private readonly queue: Entry[] = [];
  private epoch = 0;
  private seq = 0;
  private pausedUntil = 0;
  private resumeTimer: NodeJS.Timeout | undefined;
  /** The level the current full streak was logged at; undefined while the channel takes batches. */
  private fullLoggedAt: 'warn' | 'debug' | undefined;
  private readonly fullWarns = new RateLimitedWarn({ intervalMs: FULL_WARN_INTERVAL_MS });
  private writableWaiters: (() => void)[] = [];
  private closed = false;

  constructor(
    private readonly client: ChannelClient,
    private readonly options: ChannelWriterOptions,
  ) {}

  /** Resolves once the batch is committed; see the class comment for FULL and timeouts. */
  write(batch: Buffer, fullWaitMs = Infinity): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({
        tx: `${this.options.txPrefix}-${this.seq++}`,
        batch,
        resolve,
        reject,
        fullWaitMs,
        firstSent: undefined,
        epoch: -1,
        inFlight: false,
      });
      this.pump();
    });
  }

  /** Batches not yet committed. */
  get pending(): number {
    return this.queue.length;
  }

  /**
   * True while at most `window` batches wait for their commit: a batch written now is sent at once,
   * or the moment a commit frees a slot (one batch ready behind a full window hides the time a
   * source takes to build the next).
   */
  get writable(): boolean {
    return this.queue.length <= this.options.window;
  }

  /** True once `close` was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Resolves once `writable` is true (at once when it is), or once the writer is closed. */
  whenWritable(): Promise<void> {
    if (this.writable || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.writableWaiters.push(resolve));
  }

  private pump(): void {
    if (Date.now() < this.pausedUntil) return;
    let inFlight = 0;
    for (const e of this.queue) {
      if (inFlight >= this.options.window) break;
      inFlight++;
      // An entry still in flight from an older epoch must come back before newer ones are sent.
      if (e.inFlight) {
        if (e.epoch < this.epoch) return;
        continue;
      }
      this.send(e);
    }
  }

  private send(e: Entry): void {
    e.inFlight = true;
    e.epoch = this.epoch;
    e.firstSent ??= Date.now();
    // A bounded entry lets the channel hold it only for what is left of its bound.
    const wait = Number.isFinite(e.fullWaitMs) ? { wait: Math.max(0, e.firstSent + e.fullWaitMs - Date.now()) } : {};
    this.client
      .request({ type: 'PUT', tx: e.tx, commit: true, epoch: e.epoch, batch: e.batch, ...wait }, this.options.requestTimeoutMs)
      .then(
        (reply) => this.onReply(e, reply),
        (err: unknown) => this.onFailure(e, err),
      );
  }

  private onReply(e: Entry, reply: Reply): void {
    e.inFlight = false;
    switch (reply.type) {
      case 'COMMITTED':
        this.settle(e);
        e.resolve();
        if (this.fullLoggedAt !== undefined && this.queue.length === 0) {
          this.options.logger[this.fullLoggedAt === 'warn' ? 'info' : 'debug']({ channel: this.options.channel }, 'Channel accepts events again.');
          this.fullLoggedAt = undefined;
        }
        break;
      case 'FULL':
        this.onFull(e, reply.retryAfterMs);
        break;
      case 'ERROR':
        if (reply.retriable) {
          // The channel could not store it now (a full disk, an I/O error): retry in order, as for FULL.
          if (e.epoch === this.epoch) this.options.logger.warn({ channel: this.options.channel, code: reply.code, reason: reply.message }, 'Channel refused a batch for now; retrying.');
          this.onFull(e, RETRY_AFTER_ERROR_MS);
          break;
        }
        this.settle(e);
        e.reject(new SluiceError(reply.code as never, `channel ${this.options.channel}: ${reply.message}`, { retriable: reply.retriable }));
        break;
      default:
        this.settle(e);
        e.reject(new SluiceError('SLUICE_ERR_PROTOCOL', `channel ${this.options.channel} answered ${reply.type} to a PUT`));
    }
    this.pump();
  }

  private onFull(e: Entry, retryAfterMs: number): void {
    if (e.epoch === this.epoch) {
      this.epoch++;
      this.pausedUntil = Date.now() + retryAfterMs;
      clearTimeout(this.resumeTimer);
      this.resumeTimer = setTimeout(() => {
        this.pausedUntil = 0;
        this.pump();
      }, retryAfterMs);
      if (this.fullLoggedAt === undefined) {
        const report = this.fullWarns.report(this.options.channel);
        this.fullLoggedAt = report.level;
        const fields = report.level === 'warn' ? { channel: this.options.channel, fullStreaksNotLogged: report.suppressed } : { channel: this.options.channel };
        this.options.logger[report.level](fields, 'Channel is full; holding back until it has room.');
      }
    }
    if (Date.now() - e.firstSent! >= e.fullWaitMs) {
      this.settle(e);
      e.reject(new ChannelFullError(this.options.channel, retryAfterMs));
    }
  }

  private onFailure(e: Entry, err: unknown): void {
    e.inFlight = false;
    if (err instanceof SluiceError && err.code === 'SLUICE_ERR_STOPPED') {
      this.settle(e);
      e.reject(err);
      return;
    }
    this.options.logger.warn({ err, channel: this.options.channel, tx: e.tx }, 'No answer from the channel; re-sending.');
    this.pump();
  }

  private settle(e: Entry): void {
    const i = this.queue.indexOf(e);
    if (i >= 0) this.queue.splice(i, 1);
    if (this.writableWaiters.length > 0 && this.writable) for (const w of this.writableWaiters.splice(0)) w();
  }

  /** Stops the retry timer; waiters for `whenWritable` are released (nothing will be sent). */
  close(): void {
    this.closed = true;
    clearTimeout(this.resumeTimer);
    for (const w of this.writableWaiters.splice(0)) w();
  }
}
