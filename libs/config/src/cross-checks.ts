/**
 * Checks that span components: batch sizes against channel transaction capacities, and two
 * components claiming the same resource (a port, a directory).
 */
import * as path from 'node:path';
import type { Report } from './diagnostic.js';
import { KIND_LABEL } from './registry.js';
import type { ComponentSpec, Resource } from './spec.js';
import type { ChannelDef, ResolvedComponent, SinkDef, SourceDef } from './topology.js';

/** The line of each key a component set explicitly (relative key → line). */
export type KeyLines = ReadonlyMap<string, number>;

/** A validated component with what messages about it need. */
export interface Resolved<D extends ResolvedComponent> {
  readonly def: D;
  /** The factory it was validated against. */
  readonly spec: ComponentSpec;
  /** Its full key prefix, e.g. `a1.sources.r1.`. */
  readonly prefix: string;
  readonly keyLines: KeyLines;
}

function checkAgainstChannel(owner: Resolved<ResolvedComponent>, channel: Resolved<ChannelDef> | undefined, report: Report): void {
  const key = owner.spec.batchSizeKey;
  if (key === undefined || channel === undefined) return;
  const batch = owner.def.config[key];
  const capacity = channel.def.config['transactionCapacity'];
  if (typeof batch !== 'number' || typeof capacity !== 'number' || batch <= capacity) return;
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
 * The batch size of a source or sink (the key its factory names as `batchSizeKey`) greater than
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
    for (const ch of source.def.channels) checkAgainstChannel(source, byName.get(ch), report);
  }
  for (const sink of sinks) checkAgainstChannel(sink, byName.get(sink.def.channel), report);
}

const WILDCARDS = new Set(['0.0.0.0', '::', '[::]', '*']);

function describe(r: Resource): string {
  return 'path' in r ? `${r.kind} ${path.resolve(r.path)}` : `${r.host}:${r.port}${r.kind === 'udp-port' ? '/udp' : ''}`;
}

function clashes(a: Resource, b: Resource): boolean {
  if ('path' in a || 'path' in b) return 'path' in a && 'path' in b && a.kind === b.kind && path.resolve(a.path) === path.resolve(b.path);
  if (a.kind !== b.kind || a.port !== b.port || a.port === 0) return false;
  const [x, y] = [a.host.toLowerCase(), b.host.toLowerCase()];
  return x === y || WILDCARDS.has(x) || WILDCARDS.has(y);
}

/** `source n1`, `channel c1`. */
function noun(c: Resolved<ResolvedComponent>): string {
  return `${KIND_LABEL[c.spec.kind]} ${c.def.name}`;
}

/**
 * Two components claiming the same resource (their factories' `resources`) is an error, reported
 * at the later one's key with the line of the earlier one.
 */
export function checkResourceClashes(components: readonly Resolved<ResolvedComponent>[], report: Report): void {
  const seen: { resource: Resource; owner: Resolved<ResolvedComponent>; line: number }[] = [];
  for (const owner of components) {
    for (const resource of owner.spec.resources?.(owner.def.config) ?? []) {
      const line = owner.keyLines.get(resource.key) ?? owner.def.line;
      const clash = seen.find((s) => s.owner !== owner && clashes(s.resource, resource));
      if (clash !== undefined) {
        const verb = 'path' in resource ? 'uses' : 'listens on';
        report(
          'error',
          line,
          `${owner.prefix}${resource.key}: ${noun(owner)} ${verb} ${describe(resource)}, ` +
            `which ${noun(clash.owner)} (line ${clash.line}) already uses (${describe(clash.resource)})`,
        );
      }
      seen.push({ resource, owner, line });
    }
  }
}
