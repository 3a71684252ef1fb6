import { ChannelFullError, isRetriable, type Counters, type Emit, type Logger, type SluiceEvent } from '@sluice/core';

/** Options of an {@link EmitPipeline}. */
export interface EmitPipelineOptions {
  readonly emit: Emit;
  readonly logger: Logger;
  readonly counters: Counters;
  /** Aborting it gives up: nothing more is emitted or retried, and what is left is counted as lost. */
  readonly signal: AbortSignal;
  /** Emits kept outstanding at once (emit commits in call order). */
  readonly maxInFlight: number;
  /** First backoff after an error other than ChannelFullError; grows linearly to 5× (Flume's pollable sources). */
  readonly errorBackoffMs?: number;
  /** Called whenever a batch commits or the pipeline leaves a retry pause: a paused reader may resume. */
  readonly onProgress?: () => void;
}

interface Pending {
  readonly seq: number;
  readonly events: SluiceEvent[];
  /** True once this batch was counted as received (retries are not counted again). */
  counted: boolean;
}

const WARN_EVERY_MS = 10_000;

/**
 * Sends a source's batches to `emit` in order, several at a time, and never loses one: a batch
 * whose emit fails (ChannelFullError or anything else) goes back to the head of the queue and is
 * re-emitted after `retryAfterMs` (full) or a backoff (other errors), first alone, then with the
 * full window once one commits. A batch that failed is re-emitted after the batches that were
 * already in flight behind it, so under FULL the commit order can differ from the read order
 * when the runtime commits a later in-flight batch; the emit contract keeps that from happening
 * unless room appears between two of them.
 *
 * Counters: AppendBatchReceivedCount/EventReceivedCount once per batch, AppendBatchAcceptedCount/
 * EventAcceptedCount on commit, ChannelWriteFail per failed emit.
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
  private gaveUp = false;
  private lastFullWarn = 0;
  private fullSinceWarn = 0;
  private drainWaiters: (() => void)[] = [];

  constructor(private readonly opts: EmitPipelineOptions) {
    this.window = opts.maxInFlight;
    if (opts.signal.aborted) this.gaveUp = true;
    else opts.signal.addEventListener('abort', () => this.giveUp(), { once: true });
  }

  /** Batches queued, in flight or waiting for a retry. */
  get backlog(): number {
    return this.queue.length + this.inFlight + this.failed.length;
  }

  /** True while a failed batch waits to be retried: a reader should stop reading. */
  get retrying(): boolean {
    return this.retryPending;
  }

  /** Queues a batch; it is emitted after every batch pushed before it. Ignored after giving up. */
  push(events: SluiceEvent[]): void {
    if (events.length === 0) return;
    if (this.gaveUp) {
      this.reportLost(events.length);
      return;
    }
    this.queue.push({ seq: this.seq++, events, counted: false });
    this.pump();
  }

  /** Resolves once every pushed batch is committed, or the pipeline gave up (signal aborted). */
  drained(): Promise<void> {
    if (this.backlog === 0 || this.gaveUp) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private pump(): void {
    while (!this.retryPending && !this.gaveUp && this.inFlight < this.window && this.queue.length > 0) {
      this.send(this.queue.shift()!);
    }
  }

  private send(batch: Pending): void {
    const { counters } = this.opts;
    if (!batch.counted) {
      batch.counted = true;
      counters.inc('AppendBatchReceivedCount');
      counters.inc('EventReceivedCount', batch.events.length);
    }
    this.inFlight++;
    let result: Promise<void>;
    try {
      result = this.opts.emit(batch.events);
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
    counters.inc('EventAcceptedCount', batch.events.length);
    if (!this.retryPending) {
      this.window = this.opts.maxInFlight;
      this.errorRounds = 0;
    }
    this.afterSettle();
  }

  private failedEmit(batch: Pending, err: unknown): void {
    const { counters, logger } = this.opts;
    this.inFlight--;
    counters.inc('ChannelWriteFail');
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
      const fields = { err, events: batch.events.length, retryInMs: delay };
      if (isRetriable(err)) logger.warn(fields, 'emit failed; retrying');
      else logger.error(fields, 'emit failed; retrying');
      if (!this.retryPending) this.errorRounds++;
    }
    this.retryPending = true;
    this.afterSettle();
  }

  private afterSettle(): void {
    if (this.gaveUp) {
      if (this.inFlight === 0) this.finishGiveUp();
      return;
    }
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
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.retryPending = false;
      this.window = 1; // probe alone; the window reopens on the first commit
      this.pump();
      this.opts.onProgress?.();
    }, delay);
  }

  private giveUp(): void {
    if (this.gaveUp) return;
    this.gaveUp = true;
    if (this.retryTimer !== undefined) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
    if (this.inFlight === 0) this.finishGiveUp();
  }

  private finishGiveUp(): void {
    const lost = [...this.queue.splice(0), ...this.failed.splice(0)].reduce((n, b) => n + b.events.length, 0);
    this.reportLost(lost);
    this.retryPending = false;
    this.notifyDrained();
  }

  private reportLost(events: number): void {
    if (events > 0) this.opts.logger.error({ events }, 'stopped before these events were committed; they are lost');
  }

  private notifyDrained(): void {
    if (this.backlog !== 0 && !this.gaveUp) return;
    for (const w of this.drainWaiters.splice(0)) w();
  }
}
