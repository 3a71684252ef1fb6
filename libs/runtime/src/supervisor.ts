import { fork, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SluiceError, type LogFormat, type Logger } from '@sluice/core';
import type { Topology } from '@sluice/config';
import {
  CounterTotals,
  flumeJson,
  MonitorServer,
  type AgentSnapshot,
  type AgentState,
  type ComponentCounters,
  type WorkerSnapshot,
  type WorkerState,
} from '@sluice/metrics';
import { CONTROL_SOCKET, type ControlHandler, type ControlResults, type ReloadResult } from './control-protocol.js';
import { ControlServer } from './control-server.js';
import { acquirePidLock } from './pid-lock.js';
import { neighbours, planReload, workerId, type ReloadPlan } from './reload-plan.js';
import { RestartPolicy, type RestartPolicyOptions } from './restart-policy.js';
import { counterKey, peerId, workerExecArgv, type FromWorker, type ToWorker, type Tuning, type WorkerKind, type WorkerSpec } from './worker-spec.js';

export interface SupervisorOptions {
  readonly topology: Topology;
  readonly runDir: string;
  readonly dataDir: string;
  readonly logger: Logger;
  readonly logFormat: LogFormat;
  readonly restart: RestartPolicyOptions;
  readonly tuning: Tuning;
  /** Plugin modules (absolute paths) every worker registers, as the agent's registry did. */
  readonly plugins?: readonly string[];
  /** How long a graceful stop may take in all (sources, then sinks draining, then channels). */
  readonly shutdownTimeoutMs: number;
  /** How long a worker may take to report ready before it counts as failed. */
  readonly startTimeoutMs: number;
  /** Re-reads and validates the config file for a reload: the topology, or every error found. */
  readonly loadTopology?: () => { readonly topology?: Topology; readonly errors: readonly string[] };
  /** HTTP monitoring (`/metrics`, `/metrics/prometheus`, `/health`), when asked for. */
  readonly monitor?: { readonly host: string; readonly port: number };
  /** Called for `sluice ctl stop`: the caller stops the agent as on SIGTERM. */
  readonly onStopRequest?: () => void;
}

/** What the topology says of one worker. */
interface WorkerDefinition {
  readonly kind: WorkerKind;
  readonly name: string;
  readonly type: string;
  readonly volatile: boolean;
  readonly channels: readonly string[];
}

interface Worker {
  readonly id: string;
  readonly kind: WorkerKind;
  readonly name: string;
  type: string;
  /** A channel whose events die with its process (the channel type's declared durability). */
  volatile: boolean;
  readonly policy: RestartPolicy;
  /** Channels this worker talks to (sources, sink groups), told when it dies. */
  channels: readonly string[];
  child?: ChildProcess;
  pid?: number;
  state: WorkerState;
  restarts: number;
  startedAt: number;
  lastExit?: { code: number | null; signal: NodeJS.Signals | null; at: number };
  rssBytes?: number;
  /** When its last counters report arrived. */
  reportedAt: number;
  failure?: string;
  /** Why a running worker reports it is retrying (a source whose port is busy). */
  retrying?: string;
  restartTimer?: NodeJS.Timeout;
  onReady?: () => void;
}

/** What status.json holds (DESIGN §7): the workers as `components`, the Flume counters by key. */
export interface AgentStatus extends Omit<AgentSnapshot, 'workers' | 'components'> {
  readonly components: readonly WorkerSnapshot[];
  readonly counters: Record<string, Readonly<Record<string, number>>>;
}

const WORKER_MAIN = join(__dirname, 'worker-main.js');
const KINDS_IN_START_ORDER = ['channel', 'sink', 'source'] as const;

/**
 * The nanny (DESIGN §2, §7): forks one worker per channel, sink group and source, in Flume's
 * start order (channels, sinks, sources), restarts dead workers with jittered backoff under a
 * restart-intensity limit, tells channels when a peer died, keeps counter totals across worker
 * restarts, serves the control socket and the HTTP monitor, reloads a changed config by
 * restarting only what changed, and stops in reverse order. It never runs a component nor
 * decodes an event.
 */
export class Supervisor {
  private topology: Topology;
  private workers: Worker[] = [];
  private state: AgentState = 'starting';
  private readonly startedAt = Date.now();
  private readonly totals = new CounterTotals();
  private statusTimer?: NodeJS.Timeout;
  private releaseLock?: () => void;
  private control?: ControlServer;
  private monitor?: MonitorServer;
  /** Whether "agent ready" was logged: once, when every worker first runs. */
  private readyLogged = false;
  /** Restarts and reloads run one at a time. */
  private serial: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: SupervisorOptions) {
    this.topology = options.topology;
    this.workers = this.definitions(this.topology).map((d) => this.worker(d));
  }

  /** The workers a topology needs, in start order, with their types and channels. */
  private definitions(t: Topology): WorkerDefinition[] {
    return [
      ...t.channels.map((c) => ({ kind: 'channel' as const, name: c.name, type: c.type, volatile: c.durability === 'volatile', channels: [] })),
      ...t.groups.map((g) => ({
        kind: 'sink' as const,
        name: g.name,
        type: g.implicit ? t.sinks.find((d) => d.name === g.name)!.type : g.processor.type,
        volatile: false,
        channels: [...new Set(g.sinks.map((s) => t.sinks.find((d) => d.name === s)!.channel))],
      })),
      ...t.sources.map((s) => ({ kind: 'source' as const, name: s.name, type: s.type, volatile: false, channels: s.channels })),
    ];
  }

  private worker(d: WorkerDefinition): Worker {
    return {
      id: workerId(d.kind, d.name),
      ...d,
      policy: new RestartPolicy(this.options.restart),
      state: 'stopped',
      restarts: 0,
      startedAt: 0,
      reportedAt: 0,
    };
  }

  /**
   * Starts every worker in order; resolves once all have started ("agent ready"). A channel that
   * cannot start stops the agent (nothing can flow without it, and the cause is nearly always a
   * locked or unwritable directory); a source or sink group that dies at start is restarted under
   * the restart policy while the rest of the flow runs, as Flume's lifecycle supervisor does.
   */
  async start(): Promise<void> {
    const { runDir, dataDir, logger } = this.options;
    const agent = this.topology.agent;
    mkdirSync(runDir, { recursive: true, mode: 0o700 });
    chmodSync(runDir, 0o700);
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    this.releaseLock = acquirePidLock(join(runDir, 'agent.pid'), `agent ${agent} (run dir ${runDir})`, logger);
    this.control = new ControlServer(join(runDir, CONTROL_SOCKET), this.controlHandler(), logger);
    await this.control.listen();
    await this.startMonitor();
    this.writeStatus();
    this.statusTimer = setInterval(() => this.writeStatus(), this.options.tuning.countersIntervalMs);
    for (const kind of KINDS_IN_START_ORDER) {
      const started = this.workers.filter((w) => w.kind === kind);
      const ready = await Promise.all(started.map((w) => this.launch(w)));
      const failed = started.filter((_, i) => !ready[i]).map((w) => w.id);
      if (failed.length === 0) continue;
      if (kind === 'channel') {
        logger.error({ components: failed }, 'A channel could not start; stopping the agent (the worker log above says why).');
        await this.stop();
        throw new SluiceError('SLUICE_ERR_START', `agent ${agent} could not start ${failed.join(', ')}; see the log above`);
      }
      logger.warn({ components: failed }, 'Started without these components; they are being restarted (the worker log above says why).');
    }
    this.state = 'running';
    this.writeStatus();
    if (!this.announceReady()) {
      const notReady = this.workers.filter((w) => w.state !== 'running').map((w) => ({ worker: w.id, state: w.state, reason: w.retrying ?? w.failure }));
      logger.warn({ notReady }, 'Agent started, not ready yet: "agent ready" follows once these components run.');
    }
  }

  /** Logs "agent ready" the first time every worker runs (none starting, retrying or restarting); true once it has. */
  private announceReady(): boolean {
    if (this.readyLogged) return true;
    if (this.state !== 'running' || this.workers.some((w) => w.state !== 'running')) return false;
    this.readyLogged = true;
    const t = this.topology;
    this.options.logger.info({ channels: t.channels.length, sinkGroups: t.groups.length, sources: t.sources.length, runDir: this.options.runDir }, 'agent ready');
    return true;
  }

  private async startMonitor(): Promise<void> {
    const { monitor, logger } = this.options;
    if (!monitor) return;
    const server = new MonitorServer({ ...monitor, snapshot: () => this.snapshot(), logger });
    try {
      const bound = await server.start();
      this.monitor = server;
      logger.info({ url: `http://${bound.host}:${bound.port}/metrics` }, 'HTTP monitoring listening.');
    } catch (err) {
      if (!(err instanceof SluiceError)) throw err;
      logger.error({ err }, 'HTTP monitoring is off: the agent runs without it (sluice ctl metrics still works).');
    }
  }

  /** Forks a worker; resolves true when it reports ready, false when it dies first (the restart takes over). */
  private launch(w: Worker): Promise<boolean> {
    const { runDir, dataDir, logFormat, tuning, logger } = this.options;
    if (this.state === 'stopping' || this.state === 'stopped') return Promise.resolve(false);
    const spec: WorkerSpec = { agent: this.topology.agent, kind: w.kind, name: w.name, topology: this.topology, runDir, dataDir, logFormat, tuning, plugins: this.options.plugins ?? [] };
    // Each worker leads its own process group, so its children (an exec command) die with it.
    const child = fork(WORKER_MAIN, [], {
      execArgv: workerExecArgv(w.kind, process.execArgv, process.env['NODE_OPTIONS']),
      detached: true,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.send({ type: 'spec', spec } satisfies ToWorker);
    w.child = child;
    w.pid = child.pid;
    w.state = 'starting';
    w.failure = undefined;
    w.retrying = undefined;
    w.startedAt = Date.now();
    // The new process has not reported yet: its predecessor's RSS is not its own.
    w.rssBytes = undefined;
    child.on('message', (msg: FromWorker) => {
      if (msg.type === 'ready') {
        w.state = w.retrying === undefined ? 'running' : 'retrying';
        w.onReady?.();
        if (w.kind === 'channel' && w.restarts > 0) this.channelRestarted(w.name);
        this.announceReady();
      } else if (msg.type === 'retrying') {
        w.retrying = msg.reason ?? undefined;
        if (serving(w)) w.state = w.retrying === undefined ? 'running' : 'retrying';
        this.writeStatus(); // tools waiting on status.json see the change with the log line
        this.announceReady();
      } else if (msg.type === 'counters') {
        this.totals.report(w.id, msg.components);
        // No figure when the worker could not read it (out of file descriptors): keep the last.
        if (msg.rss !== undefined) w.rssBytes = msg.rss;
        w.reportedAt = Date.now();
      }
    });
    child.on('exit', (code, signal) => this.onExit(w, child, code, signal));
    child.on('error', (err) => logger.error({ err, worker: w.id }, 'Could not run a worker.'));
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        logger.error({ worker: w.id, workerPid: child.pid }, 'Worker did not become ready in time; killing it.');
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
    this.totals.retire(w.id);
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
    const fields = { worker: w.id, workerPid: pid, code, signal };
    if (w.volatile) {
      const size = this.totals.values(counterKey('channel', w.name))['ChannelSize'] ?? 0;
      logger.error({ ...fields, type: w.type, events: size }, 'Volatile channel worker died: the events it held are lost (count as of its last report).');
    }
    const delay = w.policy.onExit(Date.now(), Date.now() - w.startedAt);
    if (delay === undefined) {
      const { limit, windowMs } = this.options.restart;
      w.state = 'failed';
      w.failure = `over its restart limit (more than ${limit} restarts in ${Math.round(windowMs / 1000)} s); last exit ${signal ?? `code ${code}`}`;
      logger.error({ ...fields, restarts: w.restarts }, 'Worker keeps dying: over its restart limit, it stays failed until `sluice ctl restart` or a reload.');
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

  /** `sluice ctl restart`: restarts one worker (a volatile channel with its neighbours, drained first). */
  restart(component: string): Promise<ControlResults['restart']> {
    const w = this.resolve(component);
    const restart = w.volatile ? [w.id, ...neighbours(this.topology, w.name)] : [w.id];
    return this.exclusive(async () => {
      this.options.logger.info({ worker: w.id, restarting: restart }, 'Restarting by request.');
      await this.replace({ stop: [], start: [], restart }, this.topology);
      return { restarted: restart };
    });
  }

  /** A worker id, or a channel, source, sink group or sink name (a sink resolves to its group's worker). */
  private resolve(component: string): Worker {
    const byId = this.workers.find((w) => w.id === component);
    if (byId) return byId;
    const byName = this.workers.filter((w) => w.name === component);
    if (byName.length === 1) return byName[0]!;
    const group = this.topology.groups.find((g) => g.sinks.includes(component));
    if (byName.length === 0 && group) return this.workers.find((w) => w.id === workerId('sink', group.name))!;
    const known = this.workers.map((w) => w.id).join(', ');
    if (byName.length > 1) {
      throw new SluiceError('SLUICE_ERR_UNKNOWN_COMPONENT', `"${component}" names several components; say which: ${byName.map((w) => w.id).join(', ')}`);
    }
    throw new SluiceError('SLUICE_ERR_UNKNOWN_COMPONENT', `agent ${this.topology.agent} has no component "${component}"; it runs ${known}`);
  }

  /**
   * Re-reads the config file; an invalid one is refused (errors logged, nothing touched). Then
   * restarts only what changed (planReload) plus any failed worker, and starts and stops added
   * and removed components. Removing a channel that still holds events needs `force`.
   */
  reload(force: boolean): Promise<ReloadResult> {
    return this.exclusive(async () => {
      const { logger, loadTopology } = this.options;
      if (!loadTopology) throw new SluiceError('SLUICE_ERR_RELOAD', 'this agent was started without a config file to reload');
      const loaded = loadTopology();
      if (!loaded.topology) {
        for (const error of loaded.errors) logger.error({ error }, 'Reload refused: the new config is invalid.');
        throw new SluiceError('SLUICE_ERR_RELOAD', `the new config is invalid; the agent keeps running the old one:\n${loaded.errors.join('\n')}`);
      }
      const plan = planReload(this.topology, loaded.topology);
      const failed = this.workers.filter((w) => w.state === 'failed' && !plan.stop.includes(w.id) && !plan.restart.includes(w.id)).map((w) => w.id);
      const full: ReloadPlan = { ...plan, restart: [...plan.restart, ...failed] };
      const changed = full.stop.length + full.start.length + full.restart.length > 0;
      if (!changed) {
        this.topology = loaded.topology; // line numbers may have moved
        logger.info('Config reloaded: nothing changed.');
        return { changed, restarted: [], started: [], stopped: [] };
      }
      const holding = full.stop
        .map((id) => this.workers.find((w) => w.id === id)!)
        .filter((w) => w.kind === 'channel')
        .map((w) => ({ id: w.id, events: this.totals.values(counterKey('channel', w.name))['ChannelSize'] ?? 0 }))
        .filter((c) => c.events > 0);
      if (holding.length > 0 && !force) {
        const what = holding.map((c) => `${c.id} holds ${c.events} events`).join(', ');
        throw new SluiceError('SLUICE_ERR_RELOAD', `the new config removes channels that are not empty (${what}); drain them first or reload with --force`);
      }
      logger.info({ restart: full.restart, start: full.start, stop: full.stop }, 'Config changed: applying it.');
      await this.replace(full, loaded.topology);
      const result = { changed, restarted: full.restart, started: full.start, stopped: full.stop };
      logger.info(result, 'Config reloaded.');
      return result;
    });
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.state !== 'running') {
      return Promise.reject(new SluiceError('SLUICE_ERR_STOPPED', `the agent is ${this.state}; try again when it runs`));
    }
    const next = this.serial.then(fn);
    this.serial = next.catch(() => undefined);
    return next;
  }

  /**
   * Stops the workers a plan removes or restarts (sources first; a volatile channel is drained
   * while its sinks still run; then sinks, then channels), switches to the new topology, and
   * starts what it adds or restarts (channels, sinks, sources).
   */
  private async replace(plan: ReloadPlan, next: Topology): Promise<void> {
    const { logger, shutdownTimeoutMs } = this.options;
    const affected = this.workers.filter((w) => plan.stop.includes(w.id) || plan.restart.includes(w.id));
    const until = Date.now() + shutdownTimeoutMs;
    const left = (n: number) => Math.max(100, Math.floor((until - Date.now()) / n));
    await Promise.all(affected.filter((w) => w.kind === 'source').map((w) => this.stopWorker(w, false, left(3))));
    const volatile = affected.filter((w) => w.volatile);
    await Promise.all(volatile.map((w) => this.drained(w, Date.now() + left(3))));
    await Promise.all(affected.filter((w) => w.kind === 'sink').map((w) => this.stopWorker(w, false, left(2))));
    await Promise.all(affected.filter((w) => w.kind === 'channel').map((w) => this.stopWorker(w, false, left(1))));

    this.topology = next;
    for (const id of plan.stop) this.totals.forget(id);
    const defs = new Map(this.definitions(next).map((d) => [workerId(d.kind, d.name), d]));
    const kept = new Map(this.workers.filter((w) => !plan.stop.includes(w.id)).map((w) => [w.id, w]));
    this.workers = [...defs].map(([id, d]) => kept.get(id) ?? this.worker(d));
    const launching = this.workers.filter((w) => plan.start.includes(w.id) || plan.restart.includes(w.id));
    for (const w of launching) {
      const d = defs.get(w.id)!;
      Object.assign(w, { type: d.type, volatile: d.volatile, channels: d.channels });
      w.policy.reset();
      if (plan.restart.includes(w.id)) w.restarts++;
    }
    for (const kind of KINDS_IN_START_ORDER) {
      const ready = await Promise.all(launching.filter((w) => w.kind === kind).map((w) => this.launch(w)));
      if (ready.includes(false)) logger.warn({ workerKind: kind }, 'A restarted worker died at start; the restart policy takes over.');
    }
  }

  /** Waits until a volatile channel reports itself empty after its sources stopped, or the deadline. */
  private async drained(w: Worker, deadline: number): Promise<void> {
    const since = Date.now();
    const key = counterKey('channel', w.name);
    while (Date.now() < deadline) {
      if (!w.child) return;
      if (w.reportedAt > since && (this.totals.values(key)['ChannelSize'] ?? 0) === 0) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    // The channel worker logs the exact count of what it drops when it stops.
    this.options.logger.error({ worker: w.id, events: this.totals.values(key)['ChannelSize'] }, 'Memory channel not drained in time.');
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
    await this.monitor?.close();
    await this.control?.close();
    this.state = 'stopped';
    this.writeStatus();
    this.releaseLock?.();
    logger.info('Agent stopped.');
  }

  private async stopKind(kind: WorkerKind, drain: boolean, deadlineMs: number): Promise<void> {
    await Promise.all(this.workers.filter((w) => w.kind === kind).map((w) => this.stopWorker(w, drain, deadlineMs)));
  }

  private async stopWorker(w: Worker, drain: boolean, deadlineMs: number): Promise<void> {
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
      this.options.logger.error({ worker: w.id, workerPid: child.pid }, 'Worker did not stop in time; killing it.');
      child.kill('SIGKILL');
    }, deadlineMs + 1000);
    await exited;
    clearTimeout(timer);
  }

  /** What the control socket may ask; `stop` answers at once and the agent then stops as on SIGTERM. */
  private controlHandler(): ControlHandler {
    return {
      status: () => this.snapshot(),
      metrics: () => flumeJson(this.snapshot()),
      restart: (component) => this.restart(component),
      reload: (force) => this.reload(force),
      stop: () => {
        setImmediate(() => (this.options.onStopRequest ?? (() => void this.stop()))());
        return { stopping: true };
      },
    };
  }

  snapshot(): AgentSnapshot {
    const now = Date.now();
    const byId = new Map(this.workers.map((w) => [w.id, w]));
    const component = (group: ComponentCounters['group'], name: string, type: string, worker: string): ComponentCounters => {
      const w = byId.get(worker)!;
      const running = w.child !== undefined && serving(w);
      const key = `${group}.${name}`;
      return { key, group, name, type, worker, startTime: w.startedAt, stopTime: running ? 0 : (w.lastExit?.at ?? 0), values: this.totals.values(key) };
    };
    const t = this.topology;
    const components = [
      ...t.channels.map((c) => component('CHANNEL', c.name, c.type, workerId('channel', c.name))),
      ...t.groups.flatMap((g) => [
        ...g.sinks.map((n) => component('SINK', n, t.sinks.find((s) => s.name === n)!.type, workerId('sink', g.name))),
        ...(g.implicit ? [] : [component('SINK_PROCESSOR', g.name, g.processor.type, workerId('sink', g.name))]),
      ]),
      ...t.sources.map((s) => component('SOURCE', s.name, s.type, workerId('source', s.name))),
    ];
    return {
      agent: t.agent,
      pid: process.pid,
      state: this.state,
      startedAt: this.startedAt,
      updatedAt: now,
      workers: this.workers.map((w) => ({
        id: w.id,
        kind: w.kind,
        name: w.name,
        type: w.type,
        pid: w.child ? (w.pid ?? null) : null,
        state: w.state,
        restarts: w.restarts,
        startedAt: w.startedAt,
        uptimeMs: w.child && serving(w) ? now - w.startedAt : 0,
        rssBytes: w.child ? (w.rssBytes ?? null) : null,
        lastExit: w.lastExit ?? null,
        failure: w.failure ?? null,
      })),
      components,
    };
  }

  private writeStatus(): void {
    const path = join(this.options.runDir, 'status.json');
    const { workers, components, ...agent } = this.snapshot();
    const status: AgentStatus = { ...agent, components: workers, counters: Object.fromEntries(components.map((c) => [c.key, c.values])) };
    try {
      writeFileSync(`${path}.tmp`, JSON.stringify(status, null, 2));
      renameSync(`${path}.tmp`, path);
    } catch (err) {
      this.options.logger.warn({ err, path }, 'Could not write status.json.');
    }
  }
}

/** A worker whose process runs its component: ready, possibly retrying something (a busy port). */
function serving(w: Worker): boolean {
  return w.state === 'running' || w.state === 'retrying';
}
