import type { Config, KeySpecs, ProcessorFactory } from '@sluice/config';
import { SluiceError, type Batch, type ComponentContext, type Delivery, type NamedSink, type SinkProcessor } from '@sluice/core';
import { SYSTEM_ENV, type ProcessorEnv } from '../penalty.js';
import { SinkGroup, smallestBatchSize, type GroupMember } from '../sink-group.js';

export const SELECTORS = ['round_robin', 'random'] as const;
export type SelectorName = (typeof SELECTORS)[number];

export const LOAD_BALANCE_KEYS = {
  selector: {
    // A plain string checked by `check`, so that a custom selector class gets its own message.
    format: 'string',
    default: 'round_robin',
    doc: 'How the sinks are ordered for each batch: round_robin or random (any case). Custom selector classes are not supported.',
  },
  backoff: {
    format: 'bool',
    default: false,
    doc: 'Hold a failed sink back for min(selector.maxTimeOut, 1000 × 2^failures) ms, less up to 20% of jitter; a success resets it.',
  },
  'selector.maxTimeOut': {
    format: 'int',
    default: 30000,
    min: 0,
    doc: 'Longest backoff of a failed sink, ms (with backoff = true).',
  },
} as const satisfies KeySpecs;

/** The selector a `selector` value names, or undefined (Flume would load it as a class). */
export function selectorOf(value: string): SelectorName | undefined {
  const lower = value.toLowerCase();
  return SELECTORS.find((s) => s === lower);
}

/**
 * Load balancing: each batch is offered to the sinks in the selector's order until one answers
 * `ok`. round_robin starts each batch at the sink after the one that delivered the previous batch,
 * so a failing sink's share is spread over the others (Flume hands all of it to its successor).
 * random tries a random permutation. With backoff, a failed sink is skipped until its penalty ends
 * and a success resets its penalty; when every sink is held back, the one whose backoff ends first
 * is tried.
 */
export class LoadBalanceProcessor implements SinkProcessor {
  readonly batchSize: number;
  private readonly group: SinkGroup;
  private readonly selector: SelectorName;
  /** round_robin: the index of the sink the next batch starts at. */
  private next = 0;

  constructor(
    config: Config<typeof LOAD_BALANCE_KEYS>,
    sinks: readonly NamedSink[],
    ctx: ComponentContext,
    private readonly env: ProcessorEnv = SYSTEM_ENV,
  ) {
    if (sinks.length < 2) {
      const names = sinks.map((s) => s.name).join(' ');
      throw new SluiceError('SLUICE_ERR_CONFIG', `the load_balance sink processor needs at least two sinks, got ${sinks.length}${names ? ` (${names})` : ''}`);
    }
    const selector = selectorOf(config.selector);
    if (selector === undefined) throw new SluiceError('SLUICE_ERR_CONFIG', unsupportedSelector(config.selector));
    this.selector = selector;
    this.group = new SinkGroup(sinks, { capMs: config.backoff ? config['selector.maxTimeOut'] : 0, env, ctx });
    this.batchSize = smallestBatchSize(sinks);
    ctx.logger.info(
      { selector, backoff: config.backoff, maxTimeOut: config['selector.maxTimeOut'], sinks: sinks.map((s) => s.name), batchSize: this.batchSize },
      'Load balancing over the group.',
    );
  }

  async deliver(batch: Batch, signal: AbortSignal): Promise<Delivery> {
    const { delivery, by } = await this.group.deliver(this.group.eligible(this.order()), batch, signal);
    if (by !== undefined && this.selector === 'round_robin') {
      this.next = (this.group.members.indexOf(by) + 1) % this.group.members.length;
    }
    return delivery;
  }

  /** Every sink, in the order this batch offers them (before skipping the held-back ones). */
  private order(): GroupMember[] {
    const members = this.group.members;
    if (this.selector === 'round_robin') return members.map((_, i) => members[(this.next + i) % members.length]!);
    const shuffled = [...members];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(this.env.random() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    return shuffled;
  }
}

function unsupportedSelector(value: string): string {
  return `selector "${value}" is not supported: use round_robin or random (custom selector classes cannot be loaded)`;
}

/**
 * `load_balance` (Flume's LoadBalancingSinkProcessor): `selector`, `backoff`, `selector.maxTimeOut`;
 * at least two sinks. The batch size is the smallest of the sinks'.
 */
export const loadBalanceProcessor: ProcessorFactory<typeof LOAD_BALANCE_KEYS> = {
  kind: 'processor',
  type: 'load_balance',
  aliases: ['org.apache.flume.sink.LoadBalancingSinkProcessor'],
  doc: 'Spreads batches over the sinks (round_robin or random); a batch a sink fails goes to the next sink, and with backoff a failed sink is held back for an exponential, capped, jittered time.',
  keys: LOAD_BALANCE_KEYS,
  check(config) {
    return selectorOf(config.selector) === undefined ? [unsupportedSelector(config.selector)] : [];
  },
  checkGroup(_config, sinks) {
    return sinks.length < 2 ? [`the load_balance sink processor needs at least two sinks, got ${sinks.length} (${sinks.join(' ')})`] : [];
  },
  create(config, sinks, ctx) {
    return new LoadBalanceProcessor(config, sinks, ctx);
  },
};
