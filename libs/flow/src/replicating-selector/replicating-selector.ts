import type { KeySpecs, SelectorFactory } from '@sluice/config';
import { SluiceError } from '@sluice/core';

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
  create(config, channels) {
    const optionalNames = new Set<string>(config.optional);
    const unbound = [...optionalNames].filter((c) => !channels.includes(c));
    if (unbound.length > 0) {
      throw new SluiceError(
        'SLUICE_ERR_CONFIG',
        `selector.optional names ${unbound.length === 1 ? 'a channel' : 'channels'} the source is not bound to: ${unbound.join(' ')} (bound: ${channels.join(' ')})`,
      );
    }
    const required = Object.freeze(channels.filter((c) => !optionalNames.has(c)));
    const optional = Object.freeze(channels.filter((c) => optionalNames.has(c)));
    return { required: () => required, optional: () => optional, fixed: { required, optional } };
  },
};
