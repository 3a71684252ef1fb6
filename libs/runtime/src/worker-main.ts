import { mkdirSync } from 'node:fs';
import {
  CHANNEL_COUNTERS,
  Counters,
  createLogger,
  SINK_COUNTERS,
  SOURCE_COUNTERS,
  type ComponentContext,
  type Logger,
} from '@sluice/core';
import { ChannelClient, ChannelServer, channelEndpoint } from '@sluice/transport';
import { ChannelService } from './channel-service.js';
import { ChannelWriter } from './channel-writer.js';
import { createEmitter } from './emitter.js';
import { agentRegistry } from './registry.js';
import { SinkRunner, type CountedSink } from './sink-runner.js';
import { counterKey, peerId, SPEC_WAIT_MS, type FromWorker, type ToWorker, type WorkerSpec } from './worker-spec.js';

/**
 * A worker process: runs one channel, one source, or one sink group (DESIGN §2), reports its
 * counters to the supervisor, and exits when told to stop or when the supervisor is gone.
 * Crash-only: an unexpected error is logged as fatal and the process exits non-zero.
 */
interface Running {
  /** Counters per Flume key (`SOURCE.r1`). */
  readonly counters: Map<string, Counters>;
  stop(drain: boolean, deadlineMs: number): Promise<void>;
  peerDied?(peer: string): Promise<void>;
  /** Data-plane clients by channel name, told when their channel restarts. */
  readonly clients?: ReadonlyMap<string, ChannelClient>;
}

function send(msg: FromWorker): void {
  if (process.connected) process.send!(msg);
}

function context(spec: WorkerSpec, logger: Logger, name: string, counters: Counters): ComponentContext {
  return { agent: spec.agent, name, logger, counters, dataDir: spec.dataDir };
}

async function runChannel(spec: WorkerSpec, logger: Logger): Promise<Running> {
  const def = spec.topology.channels.find((c) => c.name === spec.name)!;
  const counters = new Counters(CHANNEL_COUNTERS);
  const store = agentRegistry(spec.plugins).get('channel', def.type).create(def.config, context(spec, logger, def.name, counters));
  await store.open();
  const keepAliveMs = ((def.config['keep-alive'] as number | undefined) ?? 3) * 1000;
  const service = new ChannelService(store, {
    name: def.name,
    transactionCapacity: (def.config['transactionCapacity'] as number | undefined) ?? Number.MAX_SAFE_INTEGER,
    leaseMs: spec.tuning.leaseMs,
    retryAfterMs: Math.min(spec.tuning.retryAfterMs, keepAliveMs),
    // A put waits for room up to keep-alive, as in Flume; well within the sender's request timeout.
    fullWaitMs: Math.min(keepAliveMs, spec.tuning.requestTimeoutMs / 2),
    counters,
    logger,
  });
  const server = new ChannelServer(channelEndpoint(spec.runDir, def.name), (peer, req) => service.handle(peer, req), logger);
  await server.bind();
  if (store.size > 0) logger.info({ events: store.size }, 'Channel opened with events from before.');
  return {
    counters: new Map([[counterKey('channel', def.name), counters]]),
    async peerDied(peer) {
      await service.peerDied(peer);
    },
    async stop() {
      await server.close();
      service.close();
      if (store.size > 0 && def.durability === 'volatile') {
        logger.error({ events: store.size }, 'Volatile channel stopped with events still in it: they are lost.');
      }
      await store.close();
    },
  };
}

async function runSource(spec: WorkerSpec, logger: Logger): Promise<Running> {
  const registry = agentRegistry(spec.plugins);
  const def = spec.topology.sources.find((s) => s.name === spec.name)!;
  const counters = new Counters(SOURCE_COUNTERS);
  const ctx = context(spec, logger, def.name, counters);
  const me = peerId('source', def.name, process.pid);
  const clients: ChannelClient[] = [];
  const writers = new Map<string, ChannelWriter>();
  for (const channel of def.channels) {
    const client = new ChannelClient(channelEndpoint(spec.runDir, channel), me, logger);
    client.connect();
    clients.push(client);
    writers.set(
      channel,
      new ChannelWriter(client, {
        channel,
        window: spec.tuning.window,
        requestTimeoutMs: spec.tuning.requestTimeoutMs,
        logger,
        txPrefix: `${me}${Date.now().toString(36)}`,
      }),
    );
  }
  const interceptors = def.interceptors.map((i) =>
    registry.get('interceptor', i.type).create(i.config, { ...ctx, logger: logger.child({ interceptor: i.name }) }),
  );
  const selector = registry.get('selector', def.selector.type).create(def.selector.config, def.channels);
  const emitter = createEmitter({ interceptors, selector, writers, counters, logger });
  let retrying: string | undefined;
  const reportRetrying = (reason: string | undefined) => {
    if (reason === retrying) return;
    retrying = reason;
    send({ type: 'retrying', reason: reason ?? null });
  };
  const source = registry.get('source', def.type).create(def.config, { ...ctx, ...emitter, retrying: reportRetrying });
  await source.start();
  return {
    counters: new Map([[counterKey('source', def.name), counters]]),
    clients: new Map(def.channels.map((c, i) => [c, clients[i]!])),
    async stop(_drain, deadlineMs) {
      await source.stop();
      // Let batches already emitted reach their channels, within the deadline.
      const until = Date.now() + deadlineMs;
      while ([...writers.values()].some((w) => w.pending > 0) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      const left = [...writers.values()].reduce((n, w) => n + w.pending, 0);
      if (left > 0) logger.error({ batches: left }, 'Stopped with batches not committed to a channel.');
      for (const w of writers.values()) w.close();
      await Promise.all(clients.map((c) => c.close()));
    },
  };
}

async function runSinkGroup(spec: WorkerSpec, logger: Logger): Promise<Running> {
  const registry = agentRegistry(spec.plugins);
  const group = spec.topology.groups.find((g) => g.name === spec.name)!;
  const defs = group.sinks.map((n) => spec.topology.sinks.find((s) => s.name === n)!);
  const counters = new Map<string, Counters>();
  const sinks: CountedSink[] = defs.map((def) => {
    const c = new Counters(SINK_COUNTERS);
    counters.set(counterKey('sink', def.name), c);
    const sinkLogger = group.implicit ? logger : logger.child({ sink: def.name });
    return { name: def.name, sink: registry.get('sink', def.type).create(def.config, context(spec, sinkLogger, def.name, c)), counters: c };
  });
  // The counters of the runner's takes (empty takes, read failures) belong to the sink of a group
  // of one, and to the group's processor entry otherwise; each delivery counts in its sink's.
  let runnerCounters = sinks[0]!.counters;
  if (!group.implicit) {
    runnerCounters = new Counters(['BatchEmptyCount', 'ChannelReadFail']);
    counters.set(counterKey('processor', group.name), runnerCounters);
  }
  for (const s of sinks) await s.sink.start();
  const processorFactory = registry.get('processor', group.processor.type);
  const processorCtx = context(spec, logger, group.name, runnerCounters);
  const me = peerId('sink', group.name, process.pid);
  const client = new ChannelClient(channelEndpoint(spec.runDir, defs[0]!.channel), me, logger);
  const runner = new SinkRunner({
    client,
    sinks,
    processor: (named) => processorFactory.create(group.processor.config, named, processorCtx),
    counters: runnerCounters,
    logger,
    txPrefix: `${me}${Date.now().toString(36)}`,
    prefetch: spec.tuning.window,
    takeWaitMs: spec.tuning.takeWaitMs,
    requestTimeoutMs: spec.tuning.requestTimeoutMs,
    leaseMs: spec.tuning.leaseMs,
  });
  client.connect();
  const stop = new AbortController();
  const drain = new AbortController();
  const running = runner.run(stop.signal, drain.signal);
  running.catch(crash);
  return {
    counters,
    clients: new Map([[defs[0]!.channel, client]]),
    async stop(drainFirst, deadlineMs) {
      if (drainFirst) {
        drain.abort();
        const deadline = setTimeout(() => stop.abort(), deadlineMs);
        await running;
        clearTimeout(deadline);
      }
      stop.abort();
      await running;
      await client.close();
      for (const s of sinks) await s.sink.stop();
    },
  };
}

function crash(err: unknown): never {
  rootLogger?.fatal({ err }, 'Worker failed.');
  process.exit(70);
}

let rootLogger: Logger | undefined;

/**
 * The worker's definition: the supervisor's first IPC message. Exits with an error when the worker
 * was not forked with an IPC channel, when the first message is something else, when the
 * supervisor goes away first, or after SPEC_WAIT_MS.
 */
function receiveSpec(): Promise<WorkerSpec> {
  if (!process.send) {
    console.error('worker-main is started by the sluice supervisor, not by hand');
    process.exit(64);
  }
  return new Promise((resolve) => {
    const fail = (why: string) => {
      console.error(`sluice worker ${process.pid}: ${why}; exiting`);
      process.exit(70);
    };
    const timer = setTimeout(() => fail(`no definition from the supervisor within ${SPEC_WAIT_MS} ms`), SPEC_WAIT_MS);
    const onDisconnect = () => fail('the supervisor went away before sending the worker its definition');
    process.once('disconnect', onDisconnect);
    process.once('message', (msg: ToWorker) => {
      clearTimeout(timer);
      process.off('disconnect', onDisconnect);
      if (msg.type !== 'spec') fail(`the supervisor's first message is "${msg.type}", not the worker's definition`);
      else resolve(msg.spec);
    });
  });
}

async function main(): Promise<void> {
  const spec = await receiveSpec();
  const label = spec.kind === 'sink' ? 'sinkgroup' : spec.kind;
  process.title = `sluice ${spec.agent} ${label}:${spec.name}`;
  const logger = createLogger({ format: spec.logFormat, bindings: { agent: spec.agent, kind: spec.kind, component: spec.name } });
  rootLogger = logger;
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
  mkdirSync(spec.dataDir, { recursive: true, mode: 0o700 });

  const running = await (spec.kind === 'channel' ? runChannel : spec.kind === 'source' ? runSource : runSinkGroup)(spec, logger);
  const report = () =>
    send({ type: 'counters', components: Object.fromEntries([...running.counters].map(([k, c]) => [k, c.snapshot()])), rss: residentBytes() });
  const reporter = setInterval(report, spec.tuning.countersIntervalMs);
  report();
  let stopping = false;
  const stop = async (drain: boolean, deadlineMs: number, code: number) => {
    if (stopping) return;
    stopping = true;
    clearInterval(reporter);
    // Never outlive a stop: with the supervisor gone nobody would SIGKILL a stuck worker.
    setTimeout(() => {
      logger.error({ deadlineMs }, 'Worker did not stop in time; exiting anyway.');
      process.exit(code);
    }, deadlineMs + 2000).unref();
    await running.stop(drain, deadlineMs);
    report();
    logger.debug('Worker stopped.');
    process.exit(code);
  };
  process.on('message', (msg: ToWorker) => {
    if (msg.type === 'stop') void stop(msg.drain, msg.deadlineMs, 0).catch(crash);
    else if (msg.type === 'peer-died') void running.peerDied?.(msg.peer).catch(crash);
    else if (msg.type === 'channel-restarted') {
      const n = running.clients?.get(msg.channel)?.abandonPending(`channel ${msg.channel} restarted`) ?? 0;
      if (n > 0) logger.info({ channel: msg.channel, requests: n }, 'Channel restarted; re-sending what it had not answered.');
    }
  });
  // No orphans: when the supervisor is gone, stop at once (no drain) and exit.
  process.on('disconnect', () => {
    logger.warn('Supervisor is gone; stopping.');
    void stop(false, 1000, 0).catch(crash);
  });
  process.on('SIGTERM', () => void stop(false, 1000, 0).catch(crash));
  process.on('SIGINT', () => undefined); // the supervisor decides; a terminal's ^C reaches it
  send({ type: 'ready' });
  logger.info(process.execArgv.length > 0 ? { nodeOptions: process.execArgv } : {}, 'Worker running.');
}

void main().catch(crash);

/**
 * The process's resident set size, or undefined when it cannot be read now: libuv opens a file to
 * read it, which fails with EMFILE while peers hold every descriptor — that must not kill the worker.
 */
function residentBytes(): number | undefined {
  try {
    return process.memoryUsage.rss();
  } catch {
    return undefined;
  }
}
