import type { AgentSnapshot, ComponentCounters, WorkerSnapshot, WorkerState } from '@sluice/metrics';
import type { ReloadResult } from '@sluice/runtime';

/**
 * Pure text rendering for `sluice ctl`: the status table, the `top` frame and the one-line
 * answers. Everything is computed from snapshots (no clock, no terminal), so it is unit-tested.
 */

/** `45s`, `3m12s`, `2h05m`, `3d04h`; under a second is `0s`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${pad2(s % 60)}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${pad2(m % 60)}m`;
  return `${Math.floor(h / 24)}d${pad2(h % 24)}h`;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

const STATE_LABELS: Record<WorkerState, string> = {
  starting: 'starting',
  running: 'running',
  retrying: 'retrying',
  backoff: 'backing off',
  failed: 'FAILED',
  stopping: 'stopping',
  stopped: 'stopped',
};

export function stateLabel(state: WorkerState): string {
  return STATE_LABELS[state] ?? state;
}

/** Columns padded to their widest cell; `right[i]` right-aligns column i. Trailing spaces trimmed. */
export function formatTable(rows: readonly (readonly string[])[], right: readonly boolean[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => (right[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** A channel's size and capacity from its counters; null where unknown. */
export function channelFill(c: ComponentCounters | undefined): { size: number | null; capacity: number | null; fraction: number | null } {
  const size = finite(c?.values['ChannelSize']);
  const capacity = finite(c?.values['ChannelCapacity']);
  const fraction = size !== null && capacity !== null && capacity > 0 ? size / capacity : null;
  return { size, capacity, fraction };
}

function finite(v: number | undefined): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function percent(fraction: number | null): string {
  return fraction === null ? '-' : `${(fraction * 100).toFixed(1)}%`;
}

function agentLine(s: AgentSnapshot): string {
  const up = s.state === 'running' && s.startedAt > 0 ? `, up ${formatDuration(s.updatedAt - s.startedAt)}` : '';
  return `agent ${s.agent} (pid ${s.pid}) ${s.state}${up}`;
}

/** The `sluice ctl status` table: one row per worker, then why each failed worker failed. */
export function formatStatus(s: AgentSnapshot): string {
  const rows: string[][] = [['COMPONENT', 'KIND', 'TYPE', 'PID', 'STATE', 'RESTARTS', 'UPTIME', 'SIZE', 'CAPACITY', 'FILL']];
  for (const w of s.workers) {
    const fill = w.kind === 'channel' ? channelFill(s.components.find((c) => c.worker === w.id && c.group === 'CHANNEL')) : null;
    rows.push([
      w.id,
      w.kind,
      w.type,
      w.pid === null ? '-' : String(w.pid),
      stateLabel(w.state),
      String(w.restarts),
      w.state === 'running' ? formatDuration(w.uptimeMs) : '-',
      fill?.size == null ? '-' : String(fill.size),
      fill?.capacity == null ? '-' : String(fill.capacity),
      fill === null ? '-' : percent(fill.fraction),
    ]);
  }
  const lines = [agentLine(s), formatTable(rows, [false, false, false, true, false, true, true, true, true, true])];
  for (const w of s.workers) if (w.state === 'failed') lines.push(`${w.id} failed: ${w.failure ?? 'over its restart limit'}`);
  return lines.join('\n') + '\n';
}

/** Events per second into and out of one component; null where the component has no such side or no earlier sample. */
export interface Rates {
  readonly in: number | null;
  readonly out: number | null;
}

/** The counters `top` turns into rates, by Flume component group. */
const RATE_COUNTERS: Record<ComponentCounters['group'], { in?: string; out?: string }> = {
  SOURCE: { in: 'EventAcceptedCount' },
  CHANNEL: { in: 'EventPutSuccessCount', out: 'EventTakeSuccessCount' },
  SINK: { out: 'EventDrainSuccessCount' },
  SINK_PROCESSOR: {},
};

/**
 * Rates per component key (`CHANNEL.c1`) from the counter deltas between two snapshots taken
 * `elapsedMs` apart. A counter that went down or is missing from either sample gives null.
 */
export function computeRates(prev: AgentSnapshot, cur: AgentSnapshot, elapsedMs: number): Map<string, Rates> {
  const before = new Map(prev.components.map((c) => [c.key, c]));
  const rates = new Map<string, Rates>();
  for (const c of cur.components) {
    const p = before.get(c.key);
    const names = RATE_COUNTERS[c.group] ?? {};
    const rate = (name: string | undefined): number | null => {
      if (name === undefined || p === undefined || !(elapsedMs > 0)) return null;
      const a = finite(p.values[name]);
      const b = finite(c.values[name]);
      if (a === null || b === null || b < a) return null;
      return ((b - a) * 1000) / elapsedMs;
    };
    rates.set(c.key, { in: rate(names.in), out: rate(names.out) });
  }
  return rates;
}

/** `0`, `0.5`, `12`, `1,204`. */
export function formatRate(r: number | null): string {
  if (r === null) return '-';
  if (r === 0) return '0';
  if (r < 10) return r.toFixed(1);
  return Math.round(r).toLocaleString('en-US');
}

/** `[#####...............]` for a fraction in [0, 1] (clamped). */
export function fillBar(fraction: number, width = 20): string {
  const n = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `[${'#'.repeat(n)}${'.'.repeat(width - n)}]`;
}

const GROUP_ORDER: Record<ComponentCounters['group'], number> = { SOURCE: 0, CHANNEL: 1, SINK_PROCESSOR: 2, SINK: 3 };

export interface TopFrameOptions {
  /** Seconds between frames, shown in the header. */
  readonly intervalSec: number;
  /** Whether to show the "q quits" hint (a terminal). */
  readonly interactive: boolean;
}

/**
 * One `sluice ctl top` frame: per component (sources, channels, sinks, in flow order) its type,
 * the state and restarts of the worker running it, events/s in and out, and a fill bar for
 * channels. Workers with no counters yet get a row of their own.
 */
export function formatTopFrame(s: AgentSnapshot, rates: ReadonlyMap<string, Rates>, options: TopFrameOptions): string {
  const workers = new Map<string, WorkerSnapshot>(s.workers.map((w) => [w.id, w]));
  const rows: string[][] = [['COMPONENT', 'TYPE', 'STATE', 'RESTARTS', 'IN/S', 'OUT/S', 'FILL']];
  const components = s.components
    .filter((c) => c.group !== 'SINK_PROCESSOR')
    .sort((a, b) => GROUP_ORDER[a.group] - GROUP_ORDER[b.group] || a.name.localeCompare(b.name));
  for (const c of components) {
    const w = workers.get(c.worker);
    const r = rates.get(c.key) ?? { in: null, out: null };
    let fill = '';
    if (c.group === 'CHANNEL') {
      const f = channelFill(c);
      fill = f.fraction === null ? '-' : `${fillBar(f.fraction)} ${percent(f.fraction).padStart(6)}  ${f.size}/${f.capacity}`;
    }
    rows.push([
      c.key,
      c.type,
      w ? stateLabel(w.state) : '?',
      w ? String(w.restarts) : '-',
      RATE_COUNTERS[c.group]?.in ? formatRate(r.in) : '',
      RATE_COUNTERS[c.group]?.out ? formatRate(r.out) : '',
      fill,
    ]);
  }
  const covered = new Set(components.map((c) => c.worker));
  for (const w of s.workers) {
    if (!covered.has(w.id)) rows.push([w.id, w.type, stateLabel(w.state), String(w.restarts), '', '', '']);
  }
  const hint = options.interactive ? ' — q quits' : '';
  const lines = [`sluice top: ${agentLine(s)} — every ${options.intervalSec}s${hint}`, '', formatTable(rows, [false, false, false, true, true, true, false])];
  for (const w of s.workers) if (w.state === 'failed') lines.push(`${w.id} failed: ${w.failure ?? 'over its restart limit'}`);
  return lines.join('\n') + '\n';
}

/** `restarted sink:g1`. */
export function formatRestart(result: { readonly restarted: readonly string[] }): string {
  return result.restarted.length === 0 ? 'nothing was restarted\n' : `restarted ${result.restarted.join(', ')}\n`;
}

/** What a reload changed, one line per kind of change; `no change` when the file matches the running agent. */
export function formatReload(result: ReloadResult): string {
  if (!result.changed) return 'no change: the config file matches the running agent\n';
  const lines: string[] = [];
  if (result.restarted.length > 0) lines.push(`restarted ${result.restarted.join(', ')}`);
  if (result.started.length > 0) lines.push(`started ${result.started.join(', ')}`);
  if (result.stopped.length > 0) lines.push(`stopped ${result.stopped.join(', ')}`);
  if (lines.length === 0) lines.push('reloaded: no worker needed a restart');
  return lines.join('\n') + '\n';
}
