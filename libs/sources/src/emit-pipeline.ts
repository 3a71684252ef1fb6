import { Batch, ChannelFullError, isRetriable, type Counters, type Emit, type EmitBatch, type Logger, type SluiceEvent } from '@sluice/core';

/** Options of an {@link EmitPipeline}. */
export interface EmitPipelineOptions {
  readonly emit: Emit;
  /** For batches pushed already encoded; without it they are emitted as their events. */
  readonly emitBatch?: EmitBatch;
  readonly logger: Logger;
  readonly counters: Counters;
  /** Emits kept outstanding at once (emit commits in call order). */
  readonly maxInFlight: number;
  /** First backoff after an error other than ChannelFullError; grows linearly to 5× (Flume's pollable sources). */
  readonly errorBackoffMs?: number;
  /** Called whenever a batch commits or the pipeline leaves a retry pause: a paused reader may resume. */
  readonly onProgress?: () => void;
}

interface Pending {
  readonly seq: number;
  readonly events: readonly SluiceEvent[] | Batch;
  readonly count: number;
}

const WARN_EVERY_MS = 10_000;

/**
 * Sends a source's batches to `emit` in order, at most `maxInFlight` at a time (a pending emit
 * is the back-pressure: the runtime keeps it pending while a channel is full). A batch whose emit
 * rejects (a ChannelFullError when the emit was bounded, or another error) goes back to the head
 * of the queue with every batch that failed with it, and is re-emitted after `retryAfterMs`
 * (full) or a backoff (other errors), first alone, then with the full window once one commits.
 * The emit contract (commit order = call order, and a failure fails the emits behind it) keeps
 * the order of the batches through retries.
 *
 * `close()` ends retrying: what is queued is emitted at once, and a batch whose emit fails after
 * that is reported lost (logged at error with its event count).
 *
 * Counters: AppendBatchReceivedCount/EventReceivedCount when a batch is pushed, AppendBatch-
 * AcceptedCount/EventAcceptedCount on commit, ChannelWriteFail per rejected emit.
 */
export class EmitPipeline {
  private readonly queue: Pending[] = [];
  private readonly failed: Pending[] = [];
  private inFlight = 0;
  private window: number;
  private seq = 0;
  private retryPending = false;
  private retryDelayMs = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private errorRounds = 0;
  private closing = false;
  private lastFullWarn = 0;
  private fullSinceWarn = 0;
  private drainWaiters: (() => void)[] = [];
  private closeWaiters: (() => void)[] = [];

  constructor(private readonly opts: EmitPipelineOptions) {
    this.window = opts.maxInFlight;
  }

  /** Batches queued, in flight or waiting for a retry. */
  get backlog(): number {
    return this.queue.length + this.inFlight + this.failed.length;
  }

  /** True while a failed batch waits to be retried: a reader should stop reading. */
  get retrying(): boolean {
    return this.retryPending;
  }

  /**
   * Queues a batch, as events or already encoded (sent with `emitBatch`); it is emitted after
   * every batch pushed before it.
   */
  push(events: readonly SluiceEvent[] | Batch): void {
    const count = events instanceof Batch ? events.count : events.length;
    if (count === 0) return;
    this.opts.counters.inc('AppendBatchReceivedCount');
    this.opts.counters.inc('EventReceivedCount', count);
    this.queue.push({ seq: this.seq++, events, count });
    this.pump();
  }

  /**
   * Stops retrying and emits everything still queued at once (a retry wait is cut short).
   * Resolves once nothing more will be emitted; the emits may still be pending.
   */
  close(): Promise<void> {
    this.closing = true;
    this.window = Number.POSITIVE_INFINITY;
    if (this.retryTimer !== undefined) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      this.retryPending = false;
    }
    this.pump();
    if (!this.retryPending) return Promise.resolve();
    // Emits that failed are waiting for the ones in flight with them: resent once those settle.
    return new Promise((resolve) => this.closeWaiters.push(resolve));
  }

  /** Resolves once every pushed batch is committed or, after close(), reported lost. */
  drained(): Promise<void> {
    if (this.backlog === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private pump(): void {
    while (!this.retryPending && this.inFlight < this.window && this.queue.length > 0) {
      this.send(this.queue.shift()!);
    }
  }

  private send(batch: Pending): void {
    this.inFlight++;
    let result: Promise<void>;
    try {
      const { events } = batch;
      if (!(events instanceof Batch)) result = this.opts.emit(events);
      else if (this.opts.emitBatch) result = this.opts.emitBatch(events);
      else result = this.opts.emit(events.events());
    } catch (err) {
      result = Promise.reject(err);
    }
    result.then(
      () => this.committed(batch),
      (err: unknown) => this.failedEmit(batch, err),
    );
  }

  private committed(batch: Pending): void {
    const { counters } = this.opts;
    this.inFlight--;
    counters.inc('AppendBatchAcceptedCount');
    counters.inc('EventAcceptedCount', batch.count);
    if (!this.retryPending && !this.closing) {
      this.window = this.opts.maxInFlight;
      this.errorRounds = 0;
    }
    this.afterSettle();
  }

  private failedEmit(batch: Pending, err: unknown): void {
    const { counters, logger } = this.opts;
    this.inFlight--;
    counters.inc('ChannelWriteFail');
    if (this.closing && !this.retryPending) {
      logger.error({ err, events: batch.count }, 'emit failed while stopping; these events are lost');
      this.notifyDrained();
      return;
    }
    this.failed.push(batch);
    if (err instanceof ChannelFullError) {
      this.retryDelayMs = Math.max(this.retryDelayMs, err.retryAfterMs);
      this.fullSinceWarn++;
      const now = Date.now();
      if (now - this.lastFullWarn >= WARN_EVERY_MS) {
        logger.warn({ retryAfterMs: err.retryAfterMs, fullReplies: this.fullSinceWarn }, 'channel full; pausing input');
        this.lastFullWarn = now;
        this.fullSinceWarn = 0;
      }
    } else {
      const base = this.opts.errorBackoffMs ?? 1000;
      const delay = Math.min((this.errorRounds + 1) * base, 5 * base);
      this.retryDelayMs = Math.max(this.retryDelayMs, delay);
      const fields = { err, events: batch.count, retryInMs: delay };
      if (isRetriable(err)) logger.warn(fields, 'emit failed; retrying');
      else logger.error(fields, 'emit failed; retrying');
      if (!this.retryPending) this.errorRounds++;
    }
    this.retryPending = true;
    this.afterSettle();
  }

  private afterSettle(): void {
    if (this.retryPending) {
      if (this.inFlight === 0 && this.retryTimer === undefined) this.scheduleRetry();
    } else {
      this.pump();
      this.opts.onProgress?.();
      this.notifyDrained();
    }
  }

  private scheduleRetry(): void {
    // Everything in flight has settled: the failed batches go back to the head, in order.
    this.failed.sort((a, b) => a.seq - b.seq);
    this.queue.unshift(...this.failed.splice(0));
    const delay = this.retryDelayMs;
    this.retryDelayMs = 0;
    if (this.closing) {
      // Stopping: one last attempt, at once, for everything left.
      this.retryPending = false;
      this.pump();
      this.notifyDrained();
      return;
    }
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.retryPending = false;
      this.window = 1; // probe alone; the window reopens on the first commit
      this.pump();
      this.opts.onProgress?.();
    }, delay);
  }

  /** Wakes drained() once nothing is left, and close() once nothing is left to send. */
  private notifyDrained(): void {
    if (this.backlog === 0) for (const w of this.drainWaiters.splice(0)) w();
    if (this.closing && !this.retryPending && this.queue.length === 0) for (const w of this.closeWaiters.splice(0)) w();
  }
}
