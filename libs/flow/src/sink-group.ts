/**
 * Trying one batch on the sinks of a group, in an order a processor chose: the penalties, the
 * state-change logs and the counters that failover and load_balance share.
 */
import { SluiceError, type Batch, type ComponentContext, type Delivery, type NamedSink } from '@sluice/core';
import { SinkPenalty, type ProcessorEnv } from './penalty.js';

/**
 * Counters of a group's processor (Flume has none of these; the names are Sluice's own):
 * - `SinkDeliveryFailCount`: deliveries that a sink of the group did not answer `ok`;
 * - `FailoverCount`: times a batch was passed on to another sink after a sink failed it;
 * - `GroupDeliveryFailCount`: batches no sink delivered (they went back to the channel).
 */
export const GROUP_COUNTERS = ['SinkDeliveryFailCount', 'FailoverCount', 'GroupDeliveryFailCount'] as const;

/** A sink of the group with its health. */
export interface GroupMember extends NamedSink {
  readonly penalty: SinkPenalty;
}

export interface SinkGroupOptions {
  /** The longest penalty, ms; 0 tracks failures for the logs but never holds a sink back. */
  readonly capMs: number;
  readonly env: ProcessorEnv;
  readonly ctx: ComponentContext;
}

/** The outcome of one batch: the delivery for the runtime, and the sink that delivered it. */
export interface GroupOutcome {
  readonly delivery: Delivery;
  readonly by?: GroupMember;
}

/** The smallest batch size of the sinks: a batch taken for the group must fit whichever sink gets it. */
export function smallestBatchSize(sinks: readonly NamedSink[]): number {
  return Math.min(...sinks.map((s) => s.sink.batchSize));
}

/**
 * The sinks of a group and their health. A sink is down from a failure to its next success and
 * penalised for `min(capMs, 1000 × 2^fails)` ms less up to 20% of jitter. Logs once per state
 * change: a sink fails (warn), recovers (info), every sink failed (error), the group delivers again
 * (info); repeated failures of a down sink are logged at debug only.
 */
export class SinkGroup {
  readonly members: readonly GroupMember[];
  private allDown = false;

  constructor(
    sinks: readonly NamedSink[],
    private readonly options: SinkGroupOptions,
  ) {
    this.members = sinks.map((s) => ({ name: s.name, sink: s.sink, penalty: new SinkPenalty() }));
    for (const name of GROUP_COUNTERS) options.ctx.counters.inc(name, 0);
  }

  /**
   * The members of `order` that are not penalised now, in that order. When every one is, the one
   * whose penalty ends first (the earliest in `order` on a tie): nothing else could take the batch,
   * and the runtime's own backoff paces these attempts.
   */
  eligible(order: readonly GroupMember[]): GroupMember[] {
    const now = this.options.env.now();
    const ready = order.filter((m) => !m.penalty.isPenalised(now));
    if (ready.length > 0 || order.length === 0) return ready;
    return [order.reduce((best, m) => (m.penalty.readyAt < best.penalty.readyAt ? m : best))];
  }

  /**
   * Tries the batch on each member of `order` in turn until one answers `ok`. A failure penalises
   * that sink and passes the batch to the next. When the signal is aborted after a failure, that
   * failure is returned as is, without penalty (the runtime is stopping; the sink may be fine).
   * When every sink failed: `retry` (or `reject` if every one rejected), naming each failure.
   * A sink that throws ends the call with its error (a bug, not a failure: the worker exits).
   */
  async deliver(order: readonly GroupMember[], batch: Batch, signal: AbortSignal): Promise<GroupOutcome> {
    const { counters } = this.options.ctx;
    const failures: { name: string; delivery: Exclude<Delivery, { status: 'ok' }> }[] = [];
    for (const member of order) {
      if (failures.length > 0) counters.inc('FailoverCount');
      const delivery = await member.sink.deliver(batch, signal);
      if (delivery.status === 'ok') {
        this.succeeded(member);
        return { delivery, by: member };
      }
      if (signal.aborted) return { delivery };
      counters.inc('SinkDeliveryFailCount');
      failures.push({ name: member.name, delivery });
      this.failed(member, delivery.error);
    }
    return { delivery: this.allFailed(failures) };
  }

  private succeeded(member: GroupMember): void {
    const { logger } = this.options.ctx;
    if (member.penalty.down) logger.info({ sink: member.name, failures: member.penalty.fails }, 'A sink of the group recovered.');
    member.penalty.succeed();
    if (this.allDown) {
      this.allDown = false;
      logger.info({ sink: member.name }, 'The group delivers again.');
    }
  }

  private failed(member: GroupMember, err: Error): void {
    const { logger } = this.options.ctx;
    const { env, capMs } = this.options;
    const wasDown = member.penalty.down;
    const penaltyMs = Math.round(member.penalty.fail(env.now(), capMs, env.random));
    const fields = { err, sink: member.name, failures: member.penalty.fails, penaltyMs };
    if (wasDown) logger.debug(fields, 'A down sink failed again.');
    else logger.warn(fields, penaltyMs > 0 ? 'A sink of the group failed; it is penalised.' : 'A sink of the group failed.');
  }

  private allFailed(failures: readonly { name: string; delivery: Exclude<Delivery, { status: 'ok' }> }[]): Delivery {
    const { counters, logger } = this.options.ctx;
    counters.inc('GroupDeliveryFailCount');
    const errors = failures.map((f) => f.delivery.error);
    const list = failures.map((f) => `${f.name}: ${f.delivery.error.message}`).join('; ');
    const error = new SluiceError('SLUICE_ERR_DELIVERY', `no sink of the group delivered the batch (${list})`, {
      retriable: true,
      cause: errors.length === 1 ? errors[0] : new AggregateError(errors),
    });
    if (!this.allDown) {
      this.allDown = true;
      logger.error({ err: error, sinks: failures.map((f) => f.name) }, 'Every sink of the group failed; batches stay in the channel.');
    }
    const rejected = failures.length > 0 && failures.every((f) => f.delivery.status === 'reject');
    return { status: rejected ? 'reject' : 'retry', error };
  }
}
