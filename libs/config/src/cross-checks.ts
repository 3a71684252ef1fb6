/**
 * Checks that span components: batch sizes against channel transaction capacities, and two
 * sources listening on the same address and port.
 */
import type { Report } from './diagnostic.js';
import type { ChannelDef, ResolvedComponent, SinkDef, SourceDef } from './topology.js';

/** The line of each key a component set explicitly (relative key → line). */
export type KeyLines = ReadonlyMap<string, number>;

/** A validated component with what messages about it need. */
export interface Resolved<D extends ResolvedComponent> {
  readonly def: D;
  /** Its full key prefix, e.g. `a1.sources.r1.`. */
  readonly prefix: string;
  readonly keyLines: KeyLines;
}

/** The keys Flume's sinks use for their batch size. */
const SINK_BATCH_KEYS = ['batchSize', 'batch-size', 'sink.batchSize'];

function checkAgainstChannel(
  owner: Resolved<ResolvedComponent>,
  key: string,
  channel: Resolved<ChannelDef> | undefined,
  report: Report,
): void {
  const batch = owner.def.config[key];
  const capacity = channel?.def.config['transactionCapacity'];
  if (channel === undefined || typeof batch !== 'number' || typeof capacity !== 'number' || batch <= capacity) return;
  const explicit = owner.keyLines.get(key);
  const capacityLine = channel.keyLines.get('transactionCapacity') ?? channel.def.line;
  report(
    'error',
    explicit ?? owner.def.line,
    `${owner.prefix}${key}: ${batch}${explicit === undefined ? ' (the default)' : ''} is greater than the transactionCapacity ${capacity} ` +
      `of channel ${channel.def.name} (line ${capacityLine}); lower it or raise the channel's transactionCapacity`,
  );
}

/**
 * A source's `batchSize`, or a sink's `batchSize` / `batch-size` / `sink.batchSize`, greater than
 * the `transactionCapacity` of a channel it uses is an error (Flume silently drops the component).
 */
export function checkBatchSizes(
  sources: readonly Resolved<SourceDef>[],
  sinks: readonly Resolved<SinkDef>[],
  channels: readonly Resolved<ChannelDef>[],
  report: Report,
): void {
  const byName = new Map(channels.map((c) => [c.def.name, c]));
  for (const source of sources) {
    for (const ch of source.def.channels) checkAgainstChannel(source, 'batchSize', byName.get(ch), report);
  }
  for (const sink of sinks) {
    const key = SINK_BATCH_KEYS.find((k) => typeof sink.def.config[k] === 'number');
    if (key !== undefined) checkAgainstChannel(sink, key, byName.get(sink.def.channel), report);
  }
}

const WILDCARDS = new Set(['0.0.0.0', '::', '[::]', '*']);

/**
 * Two sources listening on the same `bind` (or `host`) and `port` is an error; a wildcard address
 * clashes with every address on that port, and port 0 (any free port) never clashes. A source
 * with a `port` but no `bind`/`host` key listens on every address.
 */
export function checkBindClashes(sources: readonly Resolved<SourceDef>[], report: Report): void {
  const seen: { address: string; port: number; source: Resolved<SourceDef>; line: number }[] = [];
  for (const source of sources) {
    const { config } = source.def;
    const port = config['port'];
    if (typeof port !== 'number' || port === 0) continue;
    const addressKey = ['bind', 'host'].find((k) => typeof config[k] === 'string');
    const address = addressKey === undefined ? '0.0.0.0' : (config[addressKey] as string).toLowerCase();
    const line = source.keyLines.get('port') ?? source.def.line;
    const clash = seen.find((o) => o.port === port && (o.address === address || WILDCARDS.has(o.address) || WILDCARDS.has(address)));
    if (clash !== undefined) {
      report(
        'error',
        line,
        `${source.prefix}port: source ${source.def.name} listens on ${address}:${port}, ` +
          `which source ${clash.source.def.name} (line ${clash.line}) already uses (${clash.address}:${clash.port})`,
      );
    }
    seen.push({ address, port, source, line });
  }
}
