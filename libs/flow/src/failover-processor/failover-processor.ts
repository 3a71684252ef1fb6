import type { Config, KeySpecs, ProcessorFactory } from '@sluice/config';
import { SluiceError, type Batch, type ComponentContext, type Delivery, type NamedSink, type SinkProcessor } from '@sluice/core';
import { SYSTEM_ENV, type ProcessorEnv } from '../penalty.js';
import { SinkGroup, smallestBatchSize, type GroupMember } from '../sink-group.js';

export const FAILOVER_KEYS = {
  maxpenalty: {
    format: 'int',
    default: 30000,
    min: 0,
    doc: 'Longest penalty of a failed sink, ms. A sink that fails is not tried for min(maxpenalty, 1000 × 2^failures) ms, less up to 20% of jitter.',
  },
} as const satisfies KeySpecs;

export const PRIORITY_PREFIX = 'priority.';

/** One sink of the group with its resolved priority. */
export interface RankedSink extends NamedSink {
  readonly priority: number;
  /** True when `priority.<sink>` was set; unset ones get -1, -2, ... in list order. */
  readonly explicit: boolean;
}

/**
 * The group's sinks, most preferred first. Explicit priorities as configured (higher first); a
 * sink without one gets -1, -2, ... in the order the group lists it (Flume's documented rule;
 * Flume actually numbers them in hash order). On a tie between an explicit and an unset
 * priority, the explicit one comes first. Throws SLUICE_ERR_CONFIG on two equal explicit
 * priorities (Flume keeps one of them and never uses the other).
 */
export function rankSinks(config: Readonly<Record<string, unknown>>, sinks: readonly NamedSink[]): RankedSink[] {
  let unset = 0;
  const ranked = sinks.map((s, index) => {
    const value = config[PRIORITY_PREFIX + s.name];
    const explicit = typeof value === 'number';
    return { ...s, priority: explicit ? value : --unset, explicit, index };
  });
  const byPriority = new Map<number, string[]>();
  for (const r of ranked) if (r.explicit) byPriority.set(r.priority, [...(byPriority.get(r.priority) ?? []), r.name]);
  const clashes = [...byPriority].filter(([, names]) => names.length > 1);
  if (clashes.length > 0) {
    const detail = clashes.map(([p, names]) => `${names.map((n) => `priority.${n}`).join(' and ')} are both ${p}`).join('; ');
    throw new SluiceError('SLUICE_ERR_CONFIG', `the failover sink processor needs a different priority for each sink: ${detail}`);
  }
  ranked.sort((a, b) => b.priority - a.priority || Number(b.explicit) - Number(a.explicit) || a.index - b.index);
  return ranked.map(({ name, sink, priority, explicit }) => ({ name, sink, priority, explicit }));
}

/**
 * Failover: every batch goes to the most preferred sink that is not penalised. A sink that fails
 * is penalised and the same batch is tried on the next one, in the same call. When a more
 * preferred sink's penalty has expired it is tried first again (fail-back), with a real batch; a
 * penalised sink of lower priority than the active one is only tried when every sink above it
 * fails. When every sink is penalised, the one whose penalty ends first is tried.
 */
export class FailoverProcessor implements SinkProcessor {
  readonly batchSize: number;
  private readonly group: SinkGroup;
  /** The sinks, most preferred first. */
  private readonly order: readonly GroupMember[];
  private active: GroupMember | undefined;

  constructor(
    config: Config<typeof FAILOVER_KEYS>,
    sinks: readonly NamedSink[],
    private readonly ctx: ComponentContext,
    env: ProcessorEnv = SYSTEM_ENV,
  ) {
    if (sinks.length === 0) throw new SluiceError('SLUICE_ERR_CONFIG', 'the failover sink processor needs at least one sink');
    const ranked = rankSinks(config, sinks);
    const members = new Set(sinks.map((s) => s.name));
    const strays = Object.keys(config).filter((k) => k.startsWith(PRIORITY_PREFIX) && !members.has(k.slice(PRIORITY_PREFIX.length)));
    if (strays.length > 0) {
      ctx.logger.warn({ keys: strays, sinks: sinks.map((s) => s.name) }, 'Priorities given for sinks that are not in the group are ignored.');
    }
    this.group = new SinkGroup(ranked, { capMs: config.maxpenalty, env, ctx });
    const byName = new Map(this.group.members.map((m) => [m.name, m]));
    this.order = ranked.map((r) => byName.get(r.name)!);
    this.batchSize = smallestBatchSize(sinks);
    ctx.logger.info(
      { order: ranked.map((r) => `${r.name}(${r.explicit ? r.priority : 'unset'})`), maxpenalty: config.maxpenalty, batchSize: this.batchSize },
      'Failover order of the group.',
    );
  }

  async deliver(batch: Batch, signal: AbortSignal): Promise<Delivery> {
    const { delivery, by } = await this.group.deliver(this.group.eligible(this.order), batch, signal);
    if (by !== undefined && by !== this.active) {
      const from = this.active?.name;
      this.active = by;
      if (from !== undefined) this.ctx.logger.info({ sink: by.name, from }, 'The group now delivers to this sink.');
    }
    return delivery;
  }
}

/**
 * `failover` (Flume's FailoverSinkProcessor): `priority.<sink>` (higher preferred) and `maxpenalty`.
 * The batch size is the smallest of the sinks', so a batch fits whichever sink takes it.
 */
export const failoverProcessor: ProcessorFactory<typeof FAILOVER_KEYS> = {
  kind: 'processor',
  type: 'failover',
  aliases: ['org.apache.flume.sink.FailoverSinkProcessor'],
  doc: 'Sends every batch to the highest-priority sink that works; a failed sink is penalised (exponential, capped by maxpenalty, jittered) and taken back once it delivers again.',
  keys: FAILOVER_KEYS,
  dynamicKeys: {
    [PRIORITY_PREFIX]: {
      format: 'int',
      default: 0,
      doc: 'Priority of one sink of the group (priority.<sink>); higher is preferred, and no two sinks may share one. Sinks without one come after in list order (-1, -2, ...).',
    },
  },
  checkGroup(config, sinks) {
    try {
      rankSinks(config, sinks.map((name) => ({ name, sink: undefined as never })));
      return [];
    } catch (err) {
      return [(err as Error).message];
    }
  },
  create(config, sinks, ctx) {
    return new FailoverProcessor(config, sinks, ctx);
  },
};
