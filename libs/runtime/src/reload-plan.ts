import type { ResolvedComponent, Topology } from '@sluice/config';
import type { WorkerKind } from './worker-spec.js';

/** Which workers a reload touches, by worker id (`channel:c1`, `sink:g1`, `source:r1`). */
export interface ReloadPlan {
  /** In the old topology only. */
  readonly stop: readonly string[];
  /** In the new topology only. */
  readonly start: readonly string[];
  /** In both, and their configuration or a neighbouring channel's changed. */
  readonly restart: readonly string[];
}

export function workerId(kind: WorkerKind, name: string): string {
  return `${kind}:${name}`;
}

/**
 * Compares two topologies worker by worker (DESIGN §7): a worker restarts when its own
 * definition changed (a source with its selector, interceptors and channel list; a sink group
 * with its processor and every sink in it) or when a channel it reads or writes changed. Line
 * numbers do not count: an edit elsewhere in the file that shifts lines changes nothing.
 */
export function planReload(before: Topology, after: Topology): ReloadPlan {
  const old = fingerprints(before);
  const next = fingerprints(after);
  const stop = [...old.keys()].filter((id) => !next.has(id));
  const start = [...next.keys()].filter((id) => !old.has(id));
  const changed = new Set([...next.keys()].filter((id) => old.has(id) && old.get(id) !== next.get(id)));
  const changedChannels = after.channels.map((c) => c.name).filter((c) => changed.has(workerId('channel', c)));
  for (const c of changedChannels) for (const id of neighbours(after, c)) if (old.has(id)) changed.add(id);
  return { stop, start, restart: [...next.keys()].filter((id) => changed.has(id)) };
}

/** The sources writing to a channel and the sink groups reading from it, as worker ids. */
export function neighbours(t: Topology, channel: string): string[] {
  const sources = t.sources.filter((s) => s.channels.includes(channel)).map((s) => workerId('source', s.name));
  const groups = t.groups
    .filter((g) => g.sinks.some((n) => t.sinks.find((s) => s.name === n)?.channel === channel))
    .map((g) => workerId('sink', g.name));
  return [...sources, ...groups];
}

/** One comparable string per worker, in start order (channels, sink groups, sources). */
function fingerprints(t: Topology): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of t.channels) out.set(workerId('channel', c.name), stable(part(c)));
  for (const g of t.groups) {
    const sinks = g.sinks.map((n) => t.sinks.find((s) => s.name === n)!).map((s) => ({ ...part(s), channel: s.channel }));
    out.set(workerId('sink', g.name), stable({ processor: part(g.processor), implicit: g.implicit, sinks }));
  }
  for (const s of t.sources) {
    out.set(
      workerId('source', s.name),
      stable({ ...part(s), channels: s.channels, selector: part(s.selector), interceptors: s.interceptors.map(part) }),
    );
  }
  return out;
}

function part(c: ResolvedComponent): object {
  return { name: c.name, type: c.type, config: c.config };
}

/** JSON with object keys sorted, so key order in the file does not count as a change. */
function stable(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );
}
