import type { KeySpecs, SelectorFactory } from '@sluice/config';
import { unboundChannels } from '../bound-channels.js';

export const REPLICATING_KEYS = {
  optional: {
    format: 'list-ws',
    default: [],
    doc: "Channels (of the source's) that get every event best-effort: their failures are logged, not retried.",
  },
} as const satisfies KeySpecs;

/**
 * `replicating`: every event goes to every channel of the source; those listed in `optional`
 * are optional, the others required. The same arrays are returned for every event.
 */
export const replicatingSelector: SelectorFactory<typeof REPLICATING_KEYS> = {
  kind: 'selector',
  type: 'replicating',
  aliases: ['org.apache.flume.channel.ReplicatingChannelSelector'],
  doc: 'Sends every event to all the channels of the source; the channels in `optional` are best-effort.',
  keys: REPLICATING_KEYS,
  checkChannels: (config, channels) => unboundChannels('optional', config.optional, channels),
  create(config, channels) {
    const optionalNames = new Set<string>(config.optional);
    const required = Object.freeze(channels.filter((c) => !optionalNames.has(c)));
    const optional = Object.freeze(channels.filter((c) => optionalNames.has(c)));
    return { required: () => required, optional: () => optional, fixed: { required, optional } };
  },
};
