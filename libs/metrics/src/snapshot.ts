/**
 * What the supervisor knows about a running agent at one moment: its workers and the counters
 * of every component. The monitoring outputs (Flume JSON, Prometheus text, health, status.json,
 * `sluice ctl`) are all rendered from this one shape.
 */
export type AgentState = 'starting' | 'running' | 'stopping' | 'stopped';

/**
 * A worker's life: `retrying` runs but cannot do its job yet (a source whose port is busy);
 * `backoff` waits for a restart; `failed` is over the restart limit and stays down.
 */
export type WorkerState = 'starting' | 'running' | 'retrying' | 'backoff' | 'failed' | 'stopping' | 'stopped';

export type WorkerKind = 'channel' | 'sink' | 'source';

/** One worker process: a channel, a source, or a sink group. */
export interface WorkerSnapshot {
  /** `channel:c1`, `sink:g1` (a sink group, or a lone sink's own name), `source:r1`. */
  readonly id: string;
  readonly kind: WorkerKind;
  readonly name: string;
  /** Component type (`memory`, `avro`), or the processor type for a sink group (`failover`). */
  readonly type: string;
  readonly pid: number | null;
  readonly state: WorkerState;
  /** Restarts since the agent started (crashes and `ctl restart`). */
  readonly restarts: number;
  /** Epoch ms when the current (or last) process was forked; 0 if never. */
  readonly startedAt: number;
  /** 0 unless running. */
  readonly uptimeMs: number;
  /** Resident set size as last reported by the worker; null if unknown. */
  readonly rssBytes: number | null;
  readonly lastExit: { readonly code: number | null; readonly signal: string | null; readonly at: number } | null;
  /** Why the worker is failed (state `failed`); null otherwise. */
  readonly failure: string | null;
}

/** The counters of one Flume component (`CHANNEL.c1`, `SINK.k1`, `SINK_PROCESSOR.g1`, `SOURCE.r1`). */
export interface ComponentCounters {
  /** Flume's JSON key: `<TYPE>.<name>`. */
  readonly key: string;
  /** `CHANNEL`, `SOURCE`, `SINK` or `SINK_PROCESSOR` (Flume's `Type` attribute). */
  readonly group: 'CHANNEL' | 'SOURCE' | 'SINK' | 'SINK_PROCESSOR';
  readonly name: string;
  /** The component's configured type (`memory`, `file`, `avro`, `failover`). */
  readonly type: string;
  /** The id of the worker that runs it. */
  readonly worker: string;
  /** Epoch ms the component last started; StopTime is 0 while it runs. */
  readonly startTime: number;
  readonly stopTime: number;
  /**
   * Counter totals since the agent started (they survive worker restarts: the supervisor keeps
   * what each process reported last), and gauges as last reported.
   */
  readonly values: Readonly<Record<string, number>>;
}

export interface AgentSnapshot {
  readonly agent: string;
  readonly pid: number;
  readonly state: AgentState;
  readonly startedAt: number;
  readonly updatedAt: number;
  readonly workers: readonly WorkerSnapshot[];
  readonly components: readonly ComponentCounters[];
}
