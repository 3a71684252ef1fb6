import { fork, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SluiceError, type LogFormat, type Logger } from '@sluice/core';
import type { Topology } from '@sluice/config';
import { acquirePidLock } from './pid-lock.js';
import { RestartPolicy, type RestartPolicyOptions } from './restart-policy.js';
import { counterKey, peerId, type FromWorker, type ToWorker, type Tuning, type WorkerKind, type WorkerSpec } from './worker-spec.js';

export interface SupervisorOptions {
  readonly topology: Topology;
  readonly runDir: string;
  readonly dataDir: string;
  readonly logger: Logger;
  readonly logFormat: LogFormat;
  readonly restart: RestartPolicyOptions;
  readonly tuning: Tuning;
  /** How long a graceful stop may take in all (sources, then sinks draining, then channels). */
  readonly shutdownTimeoutMs: number;
  /** How long a worker may take to report ready before it counts as failed. */
  readonly startTimeoutMs: number;
}

export type WorkerState = 'starting' | 'running' | 'backoff' | 'failed' | 'stopping' | 'stopped';

interface Worker {
  readonly kind: WorkerKind;
  readonly name: string;
  readonly type: string;
  readonly policy: RestartPolicy;
  /** Channels this worker talks to (sources, sink groups), told when it dies. */
  readonly channels: readonly string[];
  child?: ChildProcess;
  pid?: number;
  state: WorkerState;
  restarts: number;
  startedAt: number;
  lastExit?: { code: number | null; signal: NodeJS.Signals | null; at: number };
  counters: Record<string, Record<string, number>>;
  restartTimer?: NodeJS.Timeout;
  onReady?: () => void;
}

/** What status.json holds (DESIGN §7), rewritten atomically every second. */
export interface AgentStatus {
  readonly agent: string;
  readonly pid: number;
  readonly state: 'starting' | 'running' | 'stopping' | 'stopped';
  readonly startedAt: number;
  readonly updatedAt: number;
  readonly components: readonly {
    readonly id: string;
    readonly kind: WorkerKind;
    readonly name: string;
    readonly type: string;
    readonly pid: number | null;
    readonly state: WorkerState;
    readonly restarts: number;
    readonly uptimeMs: number;
    readonly lastExit: Worker['lastExit'] | null;
  }[];
  /** Flume-style counters by key (`CHANNEL.c1`), as last reported by each worker. */
  readonly counters: Record<string, Record<string, number>>;
}

const WORKER_MAIN = join(__dirname, 'worker-main.js');

/**
 * The nanny (DESIGN §2, §7): forks one worker per channel, sink group and source, in Flume's
 * start order (channels, sinks, sources), restarts dead workers with jittered backoff under a
 * restart-intensity limit, tells channels when a peer died, writes status.json, and stops in
 * reverse order. It never runs a component nor decodes an event.
 */
export class Supervisor {
  private readonly workers: Worker[] = [];
  private state: AgentStatus['state'] = 'starting';
  private readonly startedAt = Date.now();
  private statusTimer?: NodeJS.Timeout;
  private releaseLock?: () => void;

  constructor(private readonly options: SupervisorOptions) {
    const t = options.topology;
    for (const c of t.channels) this.workers.push(this.worker('channel', c.name, c.type, []));
    for (const g of t.groups) {
      const channels = [...new Set(g.sinks.map((s) => t.sinks.find((d) => d.name === s)!.channel))];
      const type = g.implicit ? t.sinks.find((d) => d.name === g.name)!.type : g.processor.type;
      this.workers.push(this.worker('sink', g.name, type, channels));
    }
    for (const s of t.sources) this.workers.push(this.worker('source', s.name, s.type, s.channels));
  }

  private worker(kind: WorkerKind, name: string, type: string, channels: readonly string[]): Worker {
    return { kind, name, type, channels, policy: new RestartPolicy(this.options.restart), state: 'stopped', restarts: 0, startedAt: 0, counters: {} };
  }

  /** Starts every worker in order; resolves once all are running ("agent ready"). */
  async start(): Promise<void> {
    const { runDir, dataDir, logger, topology } = this.options;
    mkdirSync(runDir, { recursive: true, mode: 0o700 });
    chmodSync(runDir, 0o700);
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    this.releaseLock = acquirePidLock(join(runDir, 'agent.pid'), `agent ${topology.agent} (run dir ${runDir})`, logger);
    this.writeStatus();
    this.statusTimer = setInterval(() => this.writeStatus(), this.options.tuning.countersIntervalMs);
    for (const kind of ['channel', 'sink', 'source'] as const) {
      const started = this.workers.filter((w) => w.kind === kind);
      const ready = await Promise.all(started.map((w) => this.launch(w)));
      const failed = started.filter((_, i) => !ready[i]).map((w) => `${w.kind}:${w.name}`);
      if (failed.length > 0) {
        // A component that cannot start at all (a locked directory, a port in use) stops the agent
        // with a clear error; later deaths are restarted.
        logger.error({ components: failed }, 'Could not start; stopping the agent (the worker log above says why).');
        await this.stop();
        throw new SluiceError('SLUICE_ERR_START', `agent ${topology.agent} could not start ${failed.join(', ')}; see the log above`);
      }
    }
    this.state = 'running';
    this.writeStatus();
    logger.info(
      { channels: topology.channels.length, sinkGroups: topology.groups.length, sources: topology.sources.length, runDir },
      'agent ready',
    );
  }

  /** Forks a worker; resolves true when it reports ready, false when it dies first (the restart takes over). */
  private launch(w: Worker): Promise<boolean> {
    const { topology, runDir, dataDir, logFormat, tuning, logger } = this.options;
    const spec: WorkerSpec = { agent: topology.agent, kind: w.kind, name: w.name, topology, runDir, dataDir, logFormat, tuning };
    // Each worker leads its own process group, so its children (an exec command) die with it.
    const child = fork(WORKER_MAIN, [], {
      env: { ...process.env, SLUICE_WORKER: JSON.stringify(spec) },
      detached: true,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    w.child = child;
    w.pid = child.pid;
    w.state = 'starting';
    w.startedAt = Date.now();
    child.on('message', (msg: FromWorker) => {
      if (msg.type === 'ready') {
        w.state = 'running';
        w.onReady?.();
        if (w.kind === 'channel' && w.restarts > 0) this.channelRestarted(w.name);
      } else if (msg.type === 'counters') w.counters = msg.components;
    });
    child.on('exit', (code, signal) => this.onExit(w, child, code, signal));
    child.on('error', (err) => logger.error({ err, component: w.name, kind: w.kind }, 'Could not run a worker.'));
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        logger.error({ component: w.name, kind: w.kind, pid: child.pid }, 'Worker did not become ready in time; killing it.');
        child.kill('SIGKILL');
      }, this.options.startTimeoutMs);
      w.onReady = () => {
        clearTimeout(timer);
        w.onReady = undefined;
        resolve(true);
      };
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
  }

  private onExit(w: Worker, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    const { logger } = this.options;
    if (w.child !== child) return;
    const pid = child.pid!;
    w.child = undefined;
    w.lastExit = { code, signal, at: Date.now() };
    try {
      process.kill(-pid, 'SIGKILL'); // whatever the worker left in its process group
    } catch {
      // the group is already empty
    }
    for (const channel of w.channels) this.tell(channel, { type: 'peer-died', peer: peerId(w.kind, w.name, pid) });
    if (w.state === 'stopping' || this.state === 'stopping' || this.state === 'stopped') {
      w.state = 'stopped';
      return;
    }
    const fields = { component: w.name, kind: w.kind, pid, code, signal };
    if (w.kind === 'channel' && w.type === 'memory') {
      const size = w.counters[counterKey('channel', w.name)]?.['ChannelSize'] ?? 0;
      logger.error({ ...fields, events: size }, 'Memory channel worker died: the events it held are lost (count as of its last report).');
    }
    const delay = w.policy.onExit(Date.now(), Date.now() - w.startedAt);
    if (delay === undefined) {
      w.state = 'failed';
      logger.error({ ...fields, restarts: w.restarts }, 'Worker keeps dying: over its restart limit, it stays failed until restarted by hand.');
      return;
    }
    w.state = 'backoff';
    logger.warn({ ...fields, restartInMs: Math.round(delay) }, 'Worker died; restarting it.');
    w.restartTimer = setTimeout(() => {
      w.restarts++;
      void this.launch(w);
    }, delay);
  }

  /** Tells the sources and sink groups of a restarted channel to re-send what it had not answered. */
  private channelRestarted(channel: string): void {
    for (const w of this.workers) {
      if (w.channels.includes(channel) && w.child?.connected) w.child.send({ type: 'channel-restarted', channel } satisfies ToWorker);
    }
  }

  private tell(channel: string, msg: ToWorker): void {
    const target = this.workers.find((x) => x.kind === 'channel' && x.name === channel);
    if (target?.child?.connected) target.child.send(msg);
  }

  /** Graceful stop in Flume's reverse order: sources, then sinks (draining), then channels. */
  async stop(): Promise<void> {
    if (this.state === 'stopping' || this.state === 'stopped') return;
    const { logger, shutdownTimeoutMs } = this.options;
    this.state = 'stopping';
    logger.info('Agent stopping.');
    const until = Date.now() + shutdownTimeoutMs;
    const share = (n: number) => Math.max(100, Math.floor((until - Date.now()) / n));
    await this.stopKind('source', false, share(3));
    await this.stopKind('sink', true, share(2));
    await this.stopKind('channel', false, share(1));
    clearInterval(this.statusTimer);
    this.state = 'stopped';
    this.writeStatus();
    this.releaseLock?.();
    logger.info('Agent stopped.');
  }

  private async stopKind(kind: WorkerKind, drain: boolean, deadlineMs: number): Promise<void> {
    await Promise.all(
      this.workers
        .filter((w) => w.kind === kind)
        .map(async (w) => {
          clearTimeout(w.restartTimer);
          const child = w.child;
          w.state = 'stopping';
          if (!child) {
            w.state = 'stopped';
            return;
          }
          const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
          if (child.connected) child.send({ type: 'stop', drain, deadlineMs } satisfies ToWorker);
          else child.kill('SIGTERM');
          const timer = setTimeout(() => {
            this.options.logger.error({ component: w.name, kind: w.kind }, 'Worker did not stop in time; killing it.');
            child.kill('SIGKILL');
          }, deadlineMs + 1000);
          await exited;
          clearTimeout(timer);
        }),
    );
  }

  status(): AgentStatus {
    const now = Date.now();
    const counters: Record<string, Record<string, number>> = {};
    for (const w of this.workers) Object.assign(counters, w.counters);
    return {
      agent: this.options.topology.agent,
      pid: process.pid,
      state: this.state,
      startedAt: this.startedAt,
      updatedAt: now,
      components: this.workers.map((w) => ({
        id: `${w.kind}:${w.name}`,
        kind: w.kind,
        name: w.name,
        type: w.type,
        pid: w.child ? (w.pid ?? null) : null,
        state: w.state,
        restarts: w.restarts,
        uptimeMs: w.child && w.state === 'running' ? now - w.startedAt : 0,
        lastExit: w.lastExit ?? null,
      })),
      counters,
    };
  }

  private writeStatus(): void {
    const path = join(this.options.runDir, 'status.json');
    try {
      writeFileSync(`${path}.tmp`, JSON.stringify(this.status(), null, 2));
      renameSync(`${path}.tmp`, path);
    } catch (err) {
      this.options.logger.warn({ err, path }, 'Could not write status.json.');
    }
  }
}
