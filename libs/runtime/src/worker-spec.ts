import type { LogFormat } from '@sluice/core';
import type { WorkerKind } from '@sluice/metrics';
import type { Topology } from '@sluice/config';

export type { WorkerKind };

/**
 * What the supervisor hands a worker, as its first IPC message (`spec`): the whole topology and its
 * part in it. Not in the environment: a large topology outgrows the 128 KiB Linux allows one
 * environment string, and the environment is readable in `ps e` and /proc/PID/environ.
 */
export interface WorkerSpec {
  readonly agent: string;
  readonly kind: WorkerKind;
  /** The channel, source or sink group name. */
  readonly name: string;
  readonly topology: Topology;
  readonly runDir: string;
  readonly dataDir: string;
  readonly logFormat: LogFormat;
  readonly tuning: Tuning;
  /** Absolute paths of the plugin modules whose components the agent registers besides its own. */
  readonly plugins: readonly string[];
}

/** Data-plane settings shared by every worker of an agent. */
export interface Tuning {
  readonly leaseMs: number;
  readonly requestTimeoutMs: number;
  /** Batches a source keeps in flight per channel; TAKEs a sink group keeps in flight. */
  readonly window: number;
  readonly takeWaitMs: number;
  readonly retryAfterMs: number;
  readonly countersIntervalMs: number;
}

export const DEFAULT_TUNING: Tuning = {
  leaseMs: 60_000,
  requestTimeoutMs: 10_000,
  // 8 in flight: with a file channel more commits and acks share each fdatasync (seq → file → null
  // with 8: 0.99–1.01 M events/s, with 4: 0.87–0.96 M; with a 2 ms fsync delay 0.87 M against
  // 0.64–0.67 M, and less CPU).
  window: 8,
  takeWaitMs: 500,
  retryAfterMs: 10,
  countersIntervalMs: 1000,
};

/** How long a worker waits for its `spec` message before it exits with an error. */
export const SPEC_WAIT_MS = 10_000;

/** Messages from the supervisor to a worker over the fork IPC channel; `spec` comes first, once. */
export type ToWorker =
  | { readonly type: 'spec'; readonly spec: WorkerSpec }
  | { readonly type: 'stop'; readonly drain: boolean; readonly deadlineMs: number }
  | { readonly type: 'peer-died'; readonly peer: string }
  /** A channel this worker talks to was restarted: re-send what it had not answered. */
  | { readonly type: 'channel-restarted'; readonly channel: string };

/** Messages from a worker to the supervisor. */
export type FromWorker =
  | { readonly type: 'ready' }
  /** A source runs but is retrying what it needs (a busy port), with why; `null` once it works. */
  | { readonly type: 'retrying'; readonly reason: string | null }
  /** Counter snapshots by Flume key, and the worker's resident set size in bytes. */
  | { readonly type: 'counters'; readonly components: Record<string, Record<string, number>>; readonly rss: number | undefined };

/** Flume's JSON key of a component, e.g. `CHANNEL.c1`. */
export function counterKey(kind: 'source' | 'channel' | 'sink' | 'processor', name: string): string {
  return `${kind === 'processor' ? 'SINK_PROCESSOR' : kind.toUpperCase()}.${name}`;
}

/** The routing id a worker uses on its data-plane sockets; the supervisor names it when it dies. */
export function peerId(kind: WorkerKind, name: string, pid: number): string {
  return `${kind}:${name}:${pid}:`;
}

/**
 * The V8 heap option a channel worker starts with. A channel keeps every batch it accepted until
 * a sink acknowledges it, so the objects of queued batches outlive the young generation. With
 * V8's sizing for a small heap (~8 MB live in a channel worker), each few MB promoted starts a
 * full collection (29 in a run of 3M events through a file channel), each marking the heap on
 * V8's background threads with CPU that the sink and the sources need on the same cores. With
 * the old generation's limit at 128 MB from the start there are none; docs/performance.md
 * (row 24) has what that saves in CPU and costs in RSS.
 */
export const CHANNEL_HEAP_OPTION = '--initial-old-space-size=128';

/**
 * The node options a worker is forked with: the agent's own (`execArgv`), and for a channel
 * CHANNEL_HEAP_OPTION unless the operator set that option (in `execArgv` or NODE_OPTIONS).
 */
export function workerExecArgv(kind: WorkerKind, execArgv: readonly string[], nodeOptions = ''): string[] {
  const name = CHANNEL_HEAP_OPTION.split('=')[0]!;
  const setByOperator = [...execArgv, ...nodeOptions.split(/\s+/)].some((a) => a === name || a.startsWith(`${name}=`));
  return kind === 'channel' && !setByOperator ? [CHANNEL_HEAP_OPTION, ...execArgv] : [...execArgv];
}
