import type { HostProblem, KeySpecs, SelectorFactory } from '@sluice/config';
import type { SluiceEvent } from '@sluice/core';
import { unboundChannels } from '../bound-channels.js';

export const MULTIPLEXING_KEYS = {
  header: { format: 'string', default: 'flume.selector.header', doc: 'The header whose value routes each event.' },
  default: {
    format: 'list-ws',
    default: [],
    doc: 'Required channels of an event whose header is missing, blank or has no mapping. Unset, such an event goes to no required channel: it is dropped unless an optional mapping takes it.',
  },
} as const satisfies KeySpecs;

const MAPPING = 'mapping.';
const OPTIONAL = 'optional.';

/** The channels of each header value named by the keys of one family (`mapping.CA = c1 c2`). */
function family(config: Readonly<Record<string, unknown>>, prefix: string): Map<string, readonly string[]> {
  const out = new Map<string, readonly string[]>();
  for (const [key, value] of Object.entries(config)) {
    if (key.startsWith(prefix)) out.set(key.slice(prefix.length), Object.freeze([...(value as string[])]));
  }
  return out;
}

const NONE: readonly string[] = Object.freeze([]);

/**
 * `multiplexing`, as Flume's: an event's required channels are those mapped to the value of its
 * `header` (`mapping.<value>`), else `default` (also for a missing or blank header); its optional
 * channels are those of `optional.<value>`, matched on the exact value with no fallback, less the
 * ones already required. The same arrays are returned for the same value, so the runtime groups a
 * batch by route with one comparison per event.
 */
export const multiplexingSelector: SelectorFactory<typeof MULTIPLEXING_KEYS> = {
  kind: 'selector',
  type: 'multiplexing',
  aliases: ['org.apache.flume.channel.MultiplexingChannelSelector'],
  doc: 'Routes each event by the value of one header: `mapping.<value>` lists its required channels, `optional.<value>` its optional ones, `default` the required channels of any other value.',
  keys: MULTIPLEXING_KEYS,
  dynamicKeys: {
    [MAPPING]: { format: 'list-ws', default: [], doc: 'Required channels of events whose header has this value.' },
    [OPTIONAL]: { format: 'list-ws', default: [], doc: 'Optional channels (best-effort) of events whose header has this value.' },
  },
  checkChannels(config, channels) {
    const problems: HostProblem[] = unboundChannels('default', config.default, channels);
    for (const prefix of [MAPPING, OPTIONAL]) {
      for (const [value, names] of family(config, prefix)) problems.push(...unboundChannels(`${prefix}${value}`, names, channels));
    }
    return problems;
  },
  create(config) {
    const header = config.header;
    const fallback = Object.freeze([...config.default]);
    const required = family(config, MAPPING);
    // A channel both required and optional for a value is required.
    const optional = new Map(
      [...family(config, OPTIONAL)].map(([value, names]) => {
        const req = required.get(value) ?? fallback;
        return [value, Object.freeze(names.filter((c) => !req.includes(c)))] as const;
      }),
    );
    const valueOf = (e: SluiceEvent): string | undefined => (Object.hasOwn(e.headers, header) ? e.headers[header] : undefined);
    return {
      required(e) {
        const v = valueOf(e);
        return v === undefined || v.trim() === '' ? fallback : (required.get(v) ?? fallback);
      },
      optional(e) {
        const v = valueOf(e);
        return v === undefined ? NONE : (optional.get(v) ?? NONE);
      },
    };
  },
};
