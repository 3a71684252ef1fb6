import { ChannelFullError, SluiceError, type Logger, type Reply } from '@sluice/core';
import type { ChannelClient } from '@sluice/transport';

/** Pause after a retriable channel error (a full disk): longer than a FULL, which clears fast. */
const RETRY_AFTER_ERROR_MS = 250;

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
  /** Batches in flight at once (DESIGN §3: 2–8 hides the round trips). */
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
 */
export class ChannelWriter {
  private readonly queue: Entry[] = [];
  private epoch = 0;
  private seq = 0;
  private pausedUntil = 0;
  private resumeTimer: NodeJS.Timeout | undefined;
  private fullLogged = false;

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
        if (this.fullLogged && this.queue.length === 0) {
          this.fullLogged = false;
          this.options.logger.info({ channel: this.options.channel }, 'Channel accepts events again.');
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
      if (!this.fullLogged) {
        this.fullLogged = true;
        this.options.logger.warn({ channel: this.options.channel }, 'Channel is full; holding back until it has room.');
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
  }

  close(): void {
    clearTimeout(this.resumeTimer);
  }
}
