/**
 * Human-readable text for `sluice check`: the resolved topology and the diagnostics.
 */
import type { Diagnostic } from './diagnostic.js';
import type { Registry } from './registry.js';
import { maskValue } from './secrets.js';
import type { SpecKind } from './spec.js';
import type { ResolvedComponent, SinkGroupDef, Topology } from './topology.js';

export interface FormatTopologyOptions {
  /**
   * When given, each component's settings that differ from its type's defaults are shown too.
   * Without it only the settings of selectors and sink processors are shown.
   */
  readonly registry?: Registry;
}

function show(value: unknown): string {
  return Array.isArray(value) ? value.join(' ') : String(value);
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => v === b[i]);
  return a === b;
}

/** ` (k=v, ...)` for the keys that are set, not skipped and, when a default is known, not at their default. */
function settings(
  config: Readonly<Record<string, unknown>>,
  defaults: Readonly<Record<string, { default: unknown }>> | undefined,
  skip: (key: string) => boolean = () => false,
): string {
  const parts = Object.entries(config)
    .filter(([k, v]) => !skip(k) && v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0))
    .filter(([k, v]) => defaults === undefined || !(k in defaults) || !sameValue(v, defaults[k]!.default))
    .map(([k, v]) => `${k}=${show(maskValue(k, v))}`);
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
}

type Defaults = (kind: SpecKind, c: ResolvedComponent) => Readonly<Record<string, { default: unknown }>> | undefined;

/** Settings shown for a component: its non-default ones with a registry, none without. */
function own(kind: SpecKind, c: ResolvedComponent, defaults: Defaults, registry: Registry | undefined, skip?: (key: string) => boolean): string {
  return registry === undefined ? '' : settings(c.config, defaults(kind, c), skip);
}

/** Per-sink processor keys (`priority.k1`) shown next to their sink; the other keys with the processor. */
function formatGroup(g: SinkGroupDef, defaults: Defaults): string {
  const perSink = (key: string): string | undefined => g.sinks.find((s) => key.endsWith(`.${s}`));
  const sinks = g.sinks.map((s) => {
    const mine = Object.entries(g.processor.config)
      .filter(([k]) => perSink(k) === s)
      .map(([k, v]) => `${k.slice(0, -(s.length + 1))} ${show(maskValue(k, v))}`);
    return mine.length === 0 ? s : `${s} (${mine.join(', ')})`;
  });
  const kind = g.implicit ? `${g.processor.type}, implicit` : g.processor.type;
  const processorSettings = settings(g.processor.config, defaults('processor', g.processor), (k) => perSink(k) !== undefined);
  return `  ${g.name}: ${kind}${processorSettings} -> ${sinks.join(', ')}`;
}

/**
 * The topology as text: each source with its type, the channels it feeds (optional ones marked),
 * its selector when it is not a plain replicating one, and its interceptors in order; each channel
 * with its type, the sources feeding it and the sinks draining it; each sink group with its
 * processor, the processor's settings and its sinks (per-sink settings such as priorities next
 * to each sink). Secret values (`isSecretKey`) are shown as `******`.
 */
export function formatTopology(t: Topology, options: FormatTopologyOptions = {}): string {
  const { registry } = options;
  const defaults: Defaults = (kind, c) => registry?.find(kind, c.type)?.keys;
  const lines: string[] = [`agent ${t.agent} (${t.file})`, 'sources:'];
  for (const s of t.sources) {
    const optional = s.selector.config['optional'];
    const optionalSet = new Set(Array.isArray(optional) ? (optional as string[]) : []);
    const channels = s.channels.map((c) => (optionalSet.has(c) ? `${c} (optional)` : c));
    lines.push(`  ${s.name}: ${s.type}${own('source', s, defaults, registry)} -> ${channels.join(', ')}`);
    const selectorSettings = settings(s.selector.config, defaults('selector', s.selector), (k) => k === 'optional');
    if (s.selector.type !== 'replicating' || selectorSettings !== '') lines.push(`    selector: ${s.selector.type}${selectorSettings}`);
    if (s.interceptors.length > 0) {
      const chain = s.interceptors.map((i) => `${i.name} (${i.type}${own('interceptor', i, defaults, registry).replace(/^ \((.*)\)$/, ', $1')})`);
      lines.push(`    interceptors: ${chain.join(' -> ')}`);
    }
  }
  lines.push('channels:');
  for (const c of t.channels) {
    const feeders = t.sources.filter((s) => s.channels.includes(c.name)).map((s) => s.name);
    const drains = t.sinks.filter((k) => k.channel === c.name).map((k) => `${k.name} (${k.type}${own('sink', k, defaults, registry).replace(/^ \((.*)\)$/, ', $1')})`);
    const from = feeders.length === 0 ? 'no source' : feeders.join(', ');
    const to = drains.length === 0 ? 'no sink' : drains.join(', ');
    lines.push(`  ${c.name}: ${c.type}${own('channel', c, defaults, registry)} <- ${from} -> ${to}`);
  }
  lines.push('sink groups:');
  for (const g of t.groups) lines.push(formatGroup(g, defaults));
  return lines.join('\n');
}

/**
 * One line per diagnostic, `file:line: severity: message` (`file: severity: message` for line 0),
 * sorted by line (stable, so problems on one line keep the order they were found in).
 */
export function formatDiagnostics(diagnostics: readonly Diagnostic[]): string {
  return [...diagnostics]
    .sort((a, b) => a.line - b.line)
    .map((d) => `${d.file}${d.line > 0 ? `:${d.line}` : ''}: ${d.severity}: ${d.message}`)
    .join('\n');
}
