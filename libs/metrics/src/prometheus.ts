import { Counter, Gauge, Registry } from 'prom-client';
import { channelFillPercentage } from './fill-percentage.js';
import { flumeCounterNames, type FlumeGroup } from './flume-names.js';
import { isGauge } from './gauges.js';
import type { AgentSnapshot } from './snapshot.js';

type Metric = Counter<string> | Gauge<string>;
type Labels = Record<string, string>;

const COMPONENT_LABELS = ['agent', 'component', 'type'] as const;
const WORKER_LABELS = ['agent', 'worker', 'kind', 'type'] as const;

/**
 * The Prometheus name of a component counter: `sluice_<kind>_<name>`, where kind is the Flume
 * group in lower case (`source`, `channel`, `sink`, `sink_processor`) and name is the counter's
 * name in snake case. A counter (see {@link isGauge}) loses a trailing `_count` and gets
 * `_total` (EventPutSuccessCount → `sluice_channel_event_put_success_total`, EventReadFail →
 * `sluice_source_event_read_fail_total`); a gauge keeps its snake-cased name whole (ChannelSize →
 * `sluice_channel_channel_size`, OpenConnectionCount → `sluice_source_open_connection_count`).
 */
export function prometheusName(group: FlumeGroup, counter: string): string {
  const base = `sluice_${group.toLowerCase()}_${snakeCase(counter)}`;
  return isGauge(counter) ? base : `${base.replace(/_count$/, '')}_total`;
}

/** `EventPutSuccessCount` → `event_put_success_count`; characters Prometheus does not allow become `_`. */
export function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_|_$/g, '');
}

/**
 * Renders agent snapshots in the Prometheus text format through prom-client, on a registry of
 * its own (never the global one). Each render replaces every value with the snapshot's: label
 * sets of components or workers no longer in the snapshot (removed by a reload) disappear, and
 * so do metrics left with none. Component counters are Prometheus counters holding the totals the
 * supervisor keeps (monotone across worker restarts); gauges hold the last reported level.
 *
 * Worker metrics, labelled agent, worker (`sink:g1`), kind and type: `sluice_worker_up` (1 while
 * running), `sluice_worker_failed` (1 when over its restart limit), `sluice_worker_restarts_total`,
 * `sluice_worker_uptime_seconds`, `sluice_worker_resident_memory_bytes` (absent until reported).
 *
 * Renders may overlap: the values are all set synchronously before prom-client reads them.
 */
export class PrometheusExporter {
  private readonly registry = new Registry();
  private readonly metrics = new Map<string, Metric>();

  /** The Content-Type of {@link render}'s output. */
  get contentType(): string {
    return this.registry.contentType;
  }

  render(snapshot: AgentSnapshot): Promise<string> {
    for (const m of this.metrics.values()) m.reset();
    const used = new Set<string>();
    const put = (name: string, counter: boolean, help: string, labelNames: readonly string[], labels: Labels, value: number) => {
      if (!Number.isFinite(value) || (counter && value < 0)) return;
      const m = this.metric(name, counter, help, labelNames);
      used.add(name);
      if (m instanceof Counter) m.inc(labels, value);
      else m.set(labels, value);
    };

    for (const c of snapshot.components) {
      const labels = { agent: snapshot.agent, component: c.name, type: c.type };
      const kind = c.group.toLowerCase().replace('_', ' ');
      const names = new Set([...flumeCounterNames(c.group, c.type), ...Object.keys(c.values)]);
      const taken = new Set<string>(); // two counter names with one Prometheus name: the first wins
      for (const counter of names) {
        const name = prometheusName(c.group, counter);
        if (taken.has(name)) continue;
        taken.add(name);
        const value = counter === 'ChannelFillPercentage' ? channelFillPercentage(c.values) : (c.values[counter] ?? 0);
        const gauge = isGauge(counter);
        const help = gauge ? `${counter} of each ${kind}, the current level.` : `${counter} of each ${kind} since the agent started.`;
        put(name, !gauge, help, COMPONENT_LABELS, labels, value);
      }
    }

    for (const w of snapshot.workers) {
      const labels = { agent: snapshot.agent, worker: w.id, kind: w.kind, type: w.type };
      put('sluice_worker_up', false, 'Whether the worker process runs (1) or not (0).', WORKER_LABELS, labels, w.state === 'running' || w.state === 'retrying' ? 1 : 0);
      put('sluice_worker_failed', false, 'Whether the worker is over its restart limit and stays down (1).', WORKER_LABELS, labels, w.state === 'failed' ? 1 : 0);
      put('sluice_worker_restarts_total', true, 'Restarts of the worker since the agent started.', WORKER_LABELS, labels, w.restarts);
      put('sluice_worker_uptime_seconds', false, 'Seconds the current worker process has been running; 0 unless running.', WORKER_LABELS, labels, w.uptimeMs / 1000);
      if (w.rssBytes !== null) put('sluice_worker_resident_memory_bytes', false, 'Resident set size of the worker process, as last reported.', WORKER_LABELS, labels, w.rssBytes);
    }

    for (const name of [...this.metrics.keys()]) {
      if (used.has(name)) continue;
      this.registry.removeSingleMetric(name);
      this.metrics.delete(name);
    }
    return this.registry.metrics();
  }

  private metric(name: string, counter: boolean, help: string, labelNames: readonly string[]): Metric {
    let m = this.metrics.get(name);
    if (m === undefined) {
      const config = { name, help, labelNames: [...labelNames], registers: [this.registry] };
      m = counter ? new Counter(config) : new Gauge(config);
      this.metrics.set(name, m);
    }
    return m;
  }
}
