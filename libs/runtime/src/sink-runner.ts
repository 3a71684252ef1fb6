import { setTimeout as sleep } from 'node:timers/promises';
import {
  Batch,
  SluiceError,
  type AckReply,
  type Counters,
  type Delivery,
  type Logger,
  type NamedSink,
  type Reply,
  type Sink,
  type SinkProcessor,
} from '@sluice/core';
import type { ChannelClient } from '@sluice/transport';

/** A sink of the group with the counters its deliveries are counted in (`SINK.<name>`). */
export interface CountedSink extends NamedSink {
  readonly counters: Counters;
}

export interface SinkRunnerOptions {
  /** The channel the group drains (only its requests are used). */
  readonly client: Pick<ChannelClient, 'request'>;
  /** The group's sinks, started; a group of one for a sink outside any group. */
  readonly sinks: readonly CountedSink[];
  /** Builds the group's processor over the sinks as the runner hands them over (every delivery counted). */
  readonly processor: (sinks: readonly NamedSink[]) => SinkProcessor;
  /** The counters of the group's takes (BatchEmptyCount, ChannelReadFail): the sink's own in a group of one. */
  readonly counters: Counters;
  readonly logger: Logger;
  /** A prefix for transaction ids, unique across restarts of the worker. */
  readonly txPrefix: string;
  /** TAKEs kept in flight ahead of the delivery (DESIGN §3). */
  readonly prefetch: number;
  /** How long a TAKE waits on an empty channel before answering an empty batch. */
  readonly takeWaitMs: number;
  readonly requestTimeoutMs: number;
  /** The channel's lease; the runner renews a lease at a third of it while a delivery runs. */
  readonly leaseMs: number;
}

interface Taken {
  readonly tx: string;
  readonly batch: Batch | undefined;
  /** The channel refused or did not answer the TAKE: treated as a failed delivery, not as empty. */
  readonly failed?: boolean;
}

/**
 * Drains one channel through a sink processor: TAKE → deliver → ACK on `ok`, NACK otherwise
 * (DESIGN §3 rule 2). Delivery is sequential, in channel order; the next TAKEs are already in
 * flight while a batch is delivered. The ACK of a delivered batch rides on the TAKE sent right
 * after it (one message each way instead of two); if that TAKE gets no outcome for it, the ACK is
 * sent on its own, re-sent until answered. After a failed delivery every prefetched batch is NACKed too,
 * so the channel's order is kept, and the runner backs off (jittered, doubling to 5 s, as Flume's
 * runner but without its fixed steps).
 *
 * The runner sees every delivery of every sink of the group (the processor gets the sinks through
 * it) and counts Flume's sink counters from the outcome, in that sink's counters, once per
 * delivery: BatchCompleteCount (at least the sink's batchSize events) or BatchUnderflowCount, and
 * EventDrainAttemptCount by the batch's events; on `ok` EventDrainSuccessCount by the events;
 * otherwise EventWriteFail by one (as Flume counts a failed transaction), unless the delivery was
 * aborted by the stop. An empty take counts BatchEmptyCount in the runner's counters. A sink whose
 * deliver throws SLUICE_ERR_MALFORMED_BATCH (the codec found the batch's bytes are not events) is
 * answered `reject` for it; any other throw is a bug and ends `run` with that error (crash-only:
 * the worker exits and the batch, never ACKed, is re-queued).
 */
export class SinkRunner {
  private seq = 0;
  private readonly takes: Promise<Taken>[] = [];
  /** ACKs sent on their own and not yet answered; the next delivery does not wait for them. */
  private readonly acks = new Set<Promise<void>>();
  /** A delivered batch whose ACK goes out with the next TAKE. */
  private unacked: string | undefined;
  private failures = 0;
  /** The outcome of the last failed delivery of the current run of failures, for logging once per change. */
  private failing: 'retry' | 'reject' | undefined;
  private readonly processor: SinkProcessor;

  constructor(private readonly options: SinkRunnerOptions) {
    this.processor = options.processor(options.sinks.map((s) => ({ name: s.name, sink: counted(s) })));
  }

  /**
   * Runs until `stop` is aborted; with `drain` it also returns once a TAKE comes back empty
   * (the channel is drained) — used at shutdown, bounded by the caller's deadline.
   */
  async run(stop: AbortSignal, drain?: AbortSignal): Promise<void> {
    const { counters, logger } = this.options;
    while (!stop.aborted) {
      while (this.takes.length < this.options.prefetch) this.takes.push(this.take(drain?.aborted ? 0 : this.options.takeWaitMs));
      const taken = await this.takes.shift()!;
      if (taken.failed) {
        // The TAKEs behind this one must not overtake it: return them and back off.
        await this.returnPrefetched();
        this.failures++;
        await this.backoff(stop);
        continue;
      }
      if (!taken.batch) {
        counters.inc('BatchEmptyCount');
        if (drain?.aborted) break;
        if (this.failures > 0) await this.backoff(stop);
        continue;
      }
      const outcome = await this.deliver(taken.tx, taken.batch, stop);
      if (outcome) {
        this.failures = 0;
        continue;
      }
      await this.returnPrefetched();
      this.failures++;
      await this.backoff(stop);
    }
    await this.returnPrefetched();
    if (this.unacked !== undefined) this.ackAlone(this.unacked);
    this.unacked = undefined;
    await Promise.all(this.acks);
    logger.debug('Sink runner stopped.');
  }

  private async take(waitMs: number): Promise<Taken> {
    const tx = `${this.options.txPrefix}-${this.seq++}`;
    const ack = this.unacked;
    this.unacked = undefined;
    let ackOutcome: AckReply | undefined;
    try {
      const request = { type: 'TAKE', tx, max: this.processor.batchSize, waitMs, ...(ack === undefined ? {} : { ack }) } as const;
      const reply = await this.options.client.request(request, waitMs + this.options.requestTimeoutMs);
      if (reply.type === 'BATCH') {
        ackOutcome = reply.ack;
        return { tx, batch: reply.count > 0 ? new Batch(reply.batch, reply.count) : undefined };
      }
      this.options.counters.inc('ChannelReadFail');
      if (this.failures === 0) this.options.logger.warn({ tx, reply: describe(reply) }, 'The channel refused a TAKE.');
      return { tx, batch: undefined, failed: true };
    } catch (err) {
      if (err instanceof SluiceError && err.code === 'SLUICE_ERR_STOPPED') return { tx, batch: undefined };
      // A TAKE whose answer never came may hold a lease under this tx: NACK it before moving on.
      this.options.counters.inc('ChannelReadFail');
      this.options.logger.warn({ err, tx }, 'No answer to a TAKE; releasing it and trying again.');
      await this.settle(tx, 'NACK');
      return { tx, batch: undefined, failed: true };
    } finally {
      if (ack !== undefined) this.ackSettled(ack, ackOutcome);
    }
  }

  /** Accounts for the outcome of an ACK; one that got no outcome, or an error, is sent again on its own. */
  private ackSettled(tx: string, outcome: AckReply | undefined): void {
    if (outcome?.type === 'ACKED') return;
    if (outcome?.type === 'LEASE_EXPIRED') {
      this.options.counters.inc('LeaseExpiredAckCount');
      this.options.logger.warn({ tx }, 'Delivered a batch whose lease had expired: it may be delivered again.');
      return;
    }
    this.ackAlone(tx);
  }

  /** Sends an ACK on its own (re-sent until answered); kept in the window of outstanding ACKs. */
  private ackAlone(tx: string): void {
    const ack = this.settle(tx, 'ACK').finally(() => this.acks.delete(ack));
    this.acks.add(ack);
  }

  /** Delivers one taken batch, renewing its lease meanwhile; true when it was ACKed. */
  private async deliver(tx: string, batch: Batch, stop: AbortSignal): Promise<boolean> {
    const { client, logger, leaseMs, requestTimeoutMs } = this.options;
    const renew = setInterval(() => {
      client.request({ type: 'RENEW', tx }, requestTimeoutMs).catch(() => undefined);
    }, Math.max(100, leaseMs / 3));
    let delivery;
    try {
      // A sink that throws broke its contract: the error crashes the worker (crash-only).
      delivery = await this.processor.deliver(batch, stop);
    } finally {
      clearInterval(renew);
    }
    if (delivery.status === 'ok') {
      this.failing = undefined;
      // The channel orders nothing after an ACK: it goes with the next TAKE and we move on.
      if (this.unacked !== undefined) this.ackAlone(this.unacked);
      this.unacked = tx;
      if (this.acks.size >= this.options.prefetch * 2) await Promise.race(this.acks);
      return true;
    }
    const fields = { err: delivery.error, tx, events: batch.count };
    if (this.failing === delivery.status) logger.debug(fields, 'Delivery failed again.');
    else if (delivery.status === 'reject') logger.error(fields, 'The batch was rejected; it goes back to the head of the channel.');
    else logger.warn(fields, 'Delivery failed; the batch goes back to the channel.');
    this.failing = delivery.status;
    await this.settle(tx, 'NACK');
    return false;
  }

  /** ACK or NACK a lease, re-sending the same tx until the channel answers (it answers duplicates idempotently). */
  private async settle(tx: string, type: 'ACK' | 'NACK'): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const reply = await this.options.client.request({ type, tx }, this.options.requestTimeoutMs);
        if (reply.type === 'ERROR' && reply.retriable) {
          // The channel could not record it now (a full disk): the lease stays; ask again shortly.
          if (attempt % 10 === 0) this.options.logger.warn({ tx, type, code: reply.code, reason: reply.message }, 'Channel could not record the outcome yet; retrying.');
          await sleep(Math.min(5000, 100 * 2 ** Math.min(attempt, 6)));
          continue;
        }
        if (reply.type === 'LEASE_EXPIRED' && type === 'ACK') this.ackSettled(tx, reply);
        return;
      } catch (err) {
        if (err instanceof SluiceError && err.code === 'SLUICE_ERR_STOPPED') return;
        if (attempt % 10 === 0) this.options.logger.warn({ err, tx, type }, 'No answer from the channel; re-sending.');
      }
    }
  }

  private async returnPrefetched(): Promise<void> {
    const pending = this.takes.splice(0);
    for (const p of pending) {
      const taken = await p;
      if (taken.batch) await this.settle(taken.tx, 'NACK');
    }
  }

  private async backoff(stop: AbortSignal): Promise<void> {
    const cap = Math.min(5000, 250 * 2 ** Math.min(this.failures, 5));
    await sleep(cap / 2 + Math.random() * (cap / 2), undefined, { signal: stop }).catch(() => undefined);
  }
}

/** The sink as the processor gets it: each delivery counted in the sink's counters, a malformed batch answered `reject`. */
function counted({ sink, counters }: CountedSink): Sink {
  return {
    batchSize: sink.batchSize,
    start: () => sink.start(),
    stop: () => sink.stop(),
    async deliver(batch, signal) {
      counters.inc(batch.count >= sink.batchSize ? 'BatchCompleteCount' : 'BatchUnderflowCount');
      counters.inc('EventDrainAttemptCount', batch.count);
      let delivery: Delivery;
      try {
        delivery = await sink.deliver(batch, signal);
      } catch (err) {
        if (!(err instanceof SluiceError && err.code === 'SLUICE_ERR_MALFORMED_BATCH')) throw err;
        delivery = { status: 'reject', error: err };
      }
      if (delivery.status === 'ok') counters.inc('EventDrainSuccessCount', batch.count);
      else if (!signal.aborted) counters.inc('EventWriteFail');
      return delivery;
    },
  };
}

function describe(reply: Reply): string {
  return reply.type === 'ERROR' ? `${reply.code}: ${reply.message}` : reply.type;
}
