import { isGauge } from './gauges.js';

/** One worker's report: counters per Flume key (`CHANNEL.c1`, `SINK.k1`, `SINK_PROCESSOR.g1`, `SOURCE.r1`). */
export type CounterReport = Readonly<Record<string, Readonly<Record<string, number>>>>;

type Values = Record<string, number>;

interface Gauge {
  readonly value: number;
  /** Report order, so the latest report wins when two workers set the same gauge. */
  readonly seq: number;
}

interface WorkerTotals {
  /** What earlier processes (and counter resets inside the current one) had counted. */
  readonly base: Map<string, Values>;
  /** The current process's last report; empty after a retire. */
  current: Map<string, Values>;
  readonly gauges: Map<string, Map<string, Gauge>>;
}

/**
 * Counter totals that survive worker restarts. Each worker process reports its own counters from
 * 0; a report replaces that worker's previous one. `retire` folds the last report of a process
 * that exited into a base, so the next process's counts add to it.
 *
 * Counters (every name not in {@link GAUGE_NAMES}) never go down: a counter that is lower than in
 * the worker's previous report (or missing, negative or not finite) is taken as reset inside the
 * process, and what it had counted moves to the base. Gauges take the latest report and keep
 * their last value after a retire until a new report arrives. Not thread-safe; the supervisor
 * calls it from its event loop.
 */
export class CounterTotals {
  private readonly workers = new Map<string, WorkerTotals>();
  private seq = 0;

  /** Replaces `workerId`'s current values with `snapshot`. */
  report(workerId: string, snapshot: CounterReport): void {
    const w = this.worker(workerId);
    const seq = ++this.seq;
    const next = new Map<string, Values>();
    for (const [key, values] of Object.entries(snapshot)) {
      const counters: Values = {};
      for (const [name, value] of Object.entries(values)) {
        if (isGauge(name)) {
          if (Number.isFinite(value)) setIn(w.gauges, key, name, { value, seq });
        } else {
          counters[name] = Number.isFinite(value) && value > 0 ? value : 0;
        }
      }
      next.set(key, counters);
    }
    // A counter that went down (or vanished) was reset inside the process: keep what it had counted.
    for (const [key, before] of w.current) {
      const after = next.get(key) ?? {};
      for (const [name, value] of Object.entries(before)) {
        if (!(name in after) || after[name]! < value) addTo(w.base, key, name, value);
      }
    }
    w.current = next;
  }

  /** The worker's process exited: its last report becomes part of the totals the next process adds to. */
  retire(workerId: string): void {
    const w = this.workers.get(workerId);
    if (w === undefined) return;
    for (const [key, values] of w.current) {
      for (const [name, value] of Object.entries(values)) addTo(w.base, key, name, value);
    }
    w.current = new Map();
  }

  /**
   * Drops what the worker counted: its components were removed (or replaced) by a reload. With
   * `keys`, only those components' values are dropped.
   */
  forget(workerId: string, keys?: readonly string[]): void {
    const w = this.workers.get(workerId);
    if (w === undefined) return;
    if (keys === undefined) {
      this.workers.delete(workerId);
      return;
    }
    for (const key of keys) {
      w.base.delete(key);
      w.current.delete(key);
      w.gauges.delete(key);
    }
  }

  /** Counter totals and latest gauges of one component; `{}` when nothing was reported for it. */
  values(key: string): Record<string, number> {
    const out: Values = {};
    const latest = new Map<string, Gauge>();
    for (const w of this.workers.values()) {
      for (const source of [w.base.get(key), w.current.get(key)]) {
        for (const [name, value] of Object.entries(source ?? {})) out[name] = (out[name] ?? 0) + value;
      }
      for (const [name, g] of w.gauges.get(key) ?? []) {
        const seen = latest.get(name);
        if (seen === undefined || seen.seq < g.seq) latest.set(name, g);
      }
    }
    for (const [name, g] of latest) out[name] = g.value;
    return out;
  }

  /** Every component key with reported values, sorted. */
  keys(): string[] {
    const keys = new Set<string>();
    for (const w of this.workers.values()) {
      for (const map of [w.base, w.current, w.gauges]) for (const key of map.keys()) keys.add(key);
    }
    return [...keys].sort();
  }

  private worker(workerId: string): WorkerTotals {
    let w = this.workers.get(workerId);
    if (w === undefined) {
      w = { base: new Map(), current: new Map(), gauges: new Map() };
      this.workers.set(workerId, w);
    }
    return w;
  }
}

function addTo(map: Map<string, Values>, key: string, name: string, value: number): void {
  const values = map.get(key) ?? {};
  values[name] = (values[name] ?? 0) + value;
  map.set(key, values);
}

function setIn<T>(map: Map<string, Map<string, T>>, key: string, name: string, value: T): void {
  let inner = map.get(key);
  if (inner === undefined) {
    inner = new Map();
    map.set(key, inner);
  }
  inner.set(name, value);
}
