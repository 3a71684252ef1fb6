import type { KeySpec } from './spec.js';

/** The defaults a channel type gives the keys every channel has. */
export interface ChannelKeyDefaults {
  readonly capacity: number;
  readonly transactionCapacity: number;
}

/**
 * The keys every channel has, with Flume's spellings: `capacity`, `transactionCapacity` and
 * `keep-alive`. The topology checks for every channel that transactionCapacity does not exceed
 * capacity, and that no source's or sink's batch size exceeds the transactionCapacity of a
 * channel it uses.
 */
export function channelKeys(defaults: ChannelKeyDefaults) {
  return {
    capacity: {
      format: 'int',
      default: defaults.capacity,
      min: 1,
      doc: 'Most events the channel holds (committed, not yet acknowledged by a sink).',
    },
    transactionCapacity: {
      format: 'int',
      default: defaults.transactionCapacity,
      min: 1,
      doc: 'Most events one put or take may carry; at most capacity.',
    },
    'keep-alive': {
      format: 'int',
      default: 3,
      min: 0,
      doc: 'Seconds a put waits for room in a full channel before the sender is told it is full (as Flume); at most half the data-plane request timeout.',
    },
  } as const satisfies Record<string, KeySpec>;
}

/** The names of the keys {@link channelKeys} declares, which every channel factory must declare. */
export const CHANNEL_KEY_NAMES = Object.keys(channelKeys({ capacity: 1, transactionCapacity: 1 }));

/** The problems of a channel's validated config that every channel shares. */
export function channelCapacityProblems(config: Readonly<Record<string, unknown>>): string[] {
  const { capacity, transactionCapacity } = config;
  return typeof capacity === 'number' && typeof transactionCapacity === 'number' && transactionCapacity > capacity
    ? [`transactionCapacity (${transactionCapacity}) must not exceed capacity (${capacity})`]
    : [];
}
