/**
 * File channel benchmark. Measures, in one run, on the disk holding the temp dir:
 *   1. the disk: fdatasync rate (4 KiB appends, each fdatasynced) and sequential write speed
 *      (1 MiB writes, one fdatasync at the end), with node:fs;
 *   2. a real agent, seq → file channel → null, 200-byte events in batches of 1000, with
 *      fsyncPerTransaction = true, then the same on a disk 2 ms slower per fdatasync; beside a
 *      baseline with a memory channel (what the agent's other parts allow), and CPU per worker;
 *   2b. the channel's own put+take throughput: the same agent, but the events are put by this
 *      process through the channel's socket with the runtime's ChannelWriter (pre-encoded batches,
 *      the same window as a source), so the seq source worker's cost (~0.65 CPU s per 1M events,
 *      on the same two cores) is not charged to the channel; the null sink still takes and acks;
 *      also with two dataDirs on the same disk (a write and its sync in flight in each), and the
 *      same flow through a memory channel: what the process hops and their messages allow, the
 *      ceiling of the file channel's put+take on this machine;
 *   3. replay: 1,000,000 committed, un-taken events, the whole agent SIGKILLed with no checkpoint
 *      covering them, then started again (the channel's ReplayDurationMs counter); and the start
 *      after that, from the checkpoint written at the end of the replay.
 * 200-byte events: seq bodies are short decimal numbers, so a static interceptor adds a header
 * whose value pads each encoded event (Avro AvroFlumeEvent) to about 200 bytes.
 *
 * Usage: npm run build && node test/dist/bench/file-channel-bench.js [events] [--only=LIST] [--runs=N]
 *   events   events for the replay, and 3× that per throughput run (default 1,000,000)
 *   --only   comma-separated parts to run: disk, memory, file, slow, channel, channel-memory,
 *            channel-2dirs, channel-slow, replay (default: all)
 *   --runs   throughput runs of each kind, interleaved (memory, file, slow, channel, channel-memory,
 *            channel-2dirs, channel-slow, memory, ...; default 1)
 * CPU per worker is printed as CPU seconds (user + system, from /proc) per 1,000,000 events, after
 * subtracting what the same agent uses to start and idle with no events (measured once per kind):
 * unlike events/s it hardly moves when other jobs share the machine, so compare it between builds.
 */
import { closeSync, constants, fdatasyncSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { encodeBatch } from '@sluice/core';
import { AgentProcess, cleanup, tempDir, waitFor } from '../support/agent.js';
import { killAgentHard, logsMatching, restartAgent } from '../support/file-channel.js';
import { driveChannel, padFor } from './channel-driver.js';
import { machineCpu, procStats, type CpuSeconds } from './proc.js';

const PARTS = ['disk', 'memory', 'file', 'slow', 'channel', 'channel-memory', 'channel-2dirs', 'channel-slow', 'replay'] as const;
type Part = (typeof PARTS)[number];
const USAGE = `usage: file-channel-bench.js [events] [--only=${PARTS.join(',')}] [--runs=N]`;

function parseArgs(argv: readonly string[]): { events: number; only: Set<Part>; runs: number } {
  let events = 1_000_000;
  let only = new Set<Part>(PARTS);
  let runs = 1;
  for (const a of argv) {
    if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else if (a.startsWith('--only=')) {
      const list = a.slice(7).split(',').filter((x) => x !== '');
      const bad = list.filter((x) => !(PARTS as readonly string[]).includes(x));
      if (bad.length > 0 || list.length === 0) throw new Error(`--only: unknown part ${bad.join(',')}; ${USAGE}`);
      only = new Set(list as Part[]);
    } else if (a.startsWith('--runs=')) {
      runs = Number(a.slice(7));
      if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs needs a positive integer; ${USAGE}`);
    } else if (/^\d+$/.test(a) && Number(a) > 0) {
      events = Number(a);
    } else {
      throw new Error(`unexpected argument ${a}; ${USAGE}`);
    }
  }
  return { events, only, runs };
}

const ARGS = parseArgs(process.argv.slice(2));
const EVENTS = ARGS.events;
/**
 * Events per throughput run: 3× the replay's, since a 1M-event run lasts about a second, of which
 * warm-up (JIT, heap growth, the first checkpoint) takes a share a long-running agent never pays.
 */
const RUN_EVENTS = 3 * EVENTS;
const BATCH = 1000;
const EVENT_BYTES = 200;

/** The static header value that makes a seq event with a 6-digit body encode to EVENT_BYTES. */
const PAD = padFor(EVENT_BYTES);
/** Mean encoded size of the benchmark's events (bodies of 1 to 7 digits). */
const MEAN_EVENT_BYTES = (() => {
  const sample = Array.from({ length: 1000 }, (_, i) => ({ headers: { p: PAD }, body: Buffer.from(String(i * Math.floor(RUN_EVENTS / 1000))) }));
  return (encodeBatch(sample).length - encodeBatch([]).length) / sample.length;
})();

interface Row {
  readonly what: string;
  readonly value: string;
}
const rows: Row[] = [];
function row(what: string, value: string): void {
  rows.push({ what, value });
  console.log(`${what}: ${value}`);
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

// ---- 1. the disk ---------------------------------------------------------------------------------

function fdatasyncRate(dir: string, seconds = 2): number {
  const file = join(dir, 'fsync-probe');
  const fd = openSync(file, 'w');
  const block = Buffer.alloc(4096, 1);
  let n = 0;
  const until = performance.now() + seconds * 1000;
  try {
    while (performance.now() < until) {
      writeSync(fd, block);
      fdatasyncSync(fd);
      n++;
    }
  } finally {
    closeSync(fd);
    rmSync(file);
  }
  return n / seconds;
}

/**
 * MiB/s of 1 MiB sequential writes: buffered with one fdatasync at the end, or (`synced`) each
 * synced before the next starts (O_DSYNC), as one data dir's writer issues them.
 */
function sequentialWrite(dir: string, synced: boolean, mib = 512): number {
  const file = join(dir, 'write-probe');
  const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | (synced ? constants.O_DSYNC : 0));
  const chunk = Buffer.alloc(1024 * 1024, 3);
  const started = performance.now();
  try {
    for (let i = 0; i < mib; i++) writeSync(fd, chunk);
    if (!synced) fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
  const seconds = (performance.now() - started) / 1000;
  rmSync(file);
  return mib / seconds;
}

// ---- 2. throughput through an agent -----------------------------------------------------------------

/** CPU seconds (user, system) a process has used so far, all threads, from /proc (100 ticks per second). */
function cpuSeconds(pid: number): CpuSeconds {
  const p = procStats(pid);
  return p ? { user: p.user, sys: p.sys } : { user: 0, sys: 0 };
}

/** CPU per worker id of a running agent. */
function workerCpu(agent: AgentProcess): Map<string, CpuSeconds> {
  return new Map(agent.status()!.components.map((c) => [c.id, cpuSeconds(c.pid!)]));
}

/**
 * How often the agents of the throughput runs report their counters (status.json): the end of a run
 * is seen up to this late (≤ 3 % of a 3M-event run). Reporting every 20 ms, an idle agent used
 * 20–21 % of a core (the supervisor rewrites status.json each time), taken from the flow being
 * measured; every 100 ms, 5–6 %.
 */
/** Every agent of this benchmark can use the `slow-disk-file` channel (the file channel with 2 ms added before each fdatasync). */
const AGENT_ARGS = ['--status-interval', '100', '--plugin', join(__dirname, 'slow-disk-plugin.js')];

/** What each worker of an agent with this config uses to start and idle 0.5 s with no events. */
const idleCpu = new Map<string, Map<string, CpuSeconds>>();
async function idleBaseline(kind: string, config: (dir: string) => string): Promise<Map<string, CpuSeconds>> {
  const known = idleCpu.get(kind);
  if (known) return known;
  const dir = tempDir('bench-fc-idle');
  const agent = new AgentProcess(dir, 'bench', config(dir), AGENT_ARGS);
  try {
    await agent.ready(60_000);
    await new Promise((r) => setTimeout(r, 500));
    const cpu = workerCpu(agent);
    idleCpu.set(kind, cpu);
    return cpu;
  } finally {
    await agent.stop(60_000);
    cleanup(dir);
  }
}

/** Per kind of run: events/s and channel-worker CPU s per 1M events of every run (for the summary). */
const results = new Map<string, { rate: number[]; channelCpu: number[] }>();

function source(total: number): string {
  return `bench.sources = r1
bench.sources.r1.type = seq
bench.sources.r1.totalEvents = ${total}
bench.sources.r1.batchSize = ${BATCH}
bench.sources.r1.channels = c1
bench.sources.r1.interceptors = i1
bench.sources.r1.interceptors.i1.type = static
bench.sources.r1.interceptors.i1.key = p
bench.sources.r1.interceptors.i1.value = ${PAD}
`;
}

/** Extra channel properties; a function gets the run's temp dir (for directories of its own). */
type Extra = string | ((dir: string) => string);

/** The memory channel gets the file channel's default capacity: a backlog of the driven runs must not fill it. */
function channel(extra: string, type = 'file'): string {
  const ofType = type.endsWith('file') ? 'bench.channels.c1.minimumRequiredSpace = 104857600\n' : 'bench.channels.c1.capacity = 1000000\n';
  return `bench.channels = c1
bench.channels.c1.type = ${type}
bench.channels.c1.transactionCapacity = ${BATCH}
${ofType}${extra}`;
}

/**
 * One run through a real agent's channel to its null sink. The events come from its seq source, or,
 * with `driven`, from this process through the channel's socket (the source is seq with no events),
 * so the channel and sink are measured without the source worker's cost.
 */
async function throughput(label: string, extra: Extra, type = 'file', driven = false): Promise<void> {
  const config = (events: number) => (dir: string) => `${source(driven ? 0 : events)}${channel(typeof extra === 'string' ? extra : extra(dir), type)}bench.sinks = k1
bench.sinks.k1.type = null
bench.sinks.k1.channel = c1
bench.sinks.k1.batchSize = ${BATCH}
`;
  const idle = await idleBaseline(label, config(0));
  const dir = tempDir('bench-fc');
  const agent = new AgentProcess(dir, 'bench', config(RUN_EVENTS)(dir), AGENT_ARGS);
  try {
    await agent.ready(60_000);
    let start: number;
    let driver: CpuSeconds | undefined;
    const machineAtStart = machineCpu();
    if (driven) {
      start = performance.now();
      driver = await driveChannel(agent.runDir, 'c1', RUN_EVENTS, BATCH, PAD);
    } else {
      start = await waitFor('first event', () => (agent.counter('SOURCE.r1', 'EventAcceptedCount') > 0 ? performance.now() : undefined), 60_000);
    }
    // The queue between the channel's puts and takes (sampled from status.json): a growing one means
    // the sink falls behind and, past the channel's cache, takes read batches back from disk.
    let peakSize = 0;
    await waitFor(
      'all drained',
      () => {
        peakSize = Math.max(peakSize, agent.counter('CHANNEL.c1', 'ChannelSize'));
        return agent.counter('SINK.k1', 'EventDrainSuccessCount') >= RUN_EVENTS ? true : undefined;
      },
      600_000,
    );
    const seconds = (performance.now() - start) / 1000;
    const perM = 1e6 / RUN_EVENTS;
    const used = [...workerCpu(agent)].map(([id, c]) => {
      const base = idle.get(id) ?? { user: 0, sys: 0 };
      return { id, user: (c.user - base.user) * perM, sys: (c.sys - base.sys) * perM };
    });
    if (driver) used.push({ id: 'driver (this process)', user: driver.user * perM, sys: driver.sys * perM });
    const cpu = used.map((c) => `${c.id} ${(c.user + c.sys).toFixed(2)} (user ${c.user.toFixed(2)}, sys ${c.sys.toFixed(2)})`).join(', ');
    const r = results.get(label) ?? { rate: [], channelCpu: [] };
    r.rate.push(RUN_EVENTS / seconds);
    const ch = used.find((c) => c.id.startsWith('channel:'));
    if (ch) r.channelCpu.push(ch.user + ch.sys);
    results.set(label, r);
    row(`${label}: events/s`, fmt(RUN_EVENTS / seconds));
    row(`${label}: MiB/s (events)`, ((RUN_EVENTS * MEAN_EVENT_BYTES) / seconds / 2 ** 20).toFixed(1));
    row(`${label}: CPU s per 1M events per worker (${seconds.toFixed(2)} s wall)`, cpu);
    const machine = machineCpu();
    row(
      `${label}: the machine's CPU during the run (all processes and kernel threads)`,
      `busy ${((machine.busy - machineAtStart.busy) / seconds).toFixed(2)} of ${availableParallelism()} cores, iowait ${((machine.iowait - machineAtStart.iowait) / seconds).toFixed(2)}`,
    );
    row(`${label}: largest ChannelSize seen`, fmt(peakSize));
    if (type === 'file') {
      const commits = agent.counter('CHANNEL.c1', 'EventPutSuccessCount') / BATCH;
      const fsyncs = agent.counter('CHANNEL.c1', 'FsyncCount');
      row(`${label}: fdatasyncs`, `${fmt(fsyncs)} for ${fmt(commits)} commits and about as many acks (group commit: ${(fsyncs / (2 * commits)).toFixed(2)} per commit or ack)`);
    }
  } finally {
    await agent.stop(60_000);
    cleanup(dir);
  }
}

/** Two data directories on the one disk of the temp dir: a write (and its sync) in flight in each. */
function twoDataDirs(dir: string): string {
  const dirs = [join(dir, 'data-a'), join(dir, 'data-b')];
  for (const d of dirs) mkdirSync(d);
  return `bench.channels.c1.dataDirs = ${dirs.join(',')}\n`;
}

// ---- 3. replay ----------------------------------------------------------------------------------

async function replay(): Promise<void> {
  const dir = tempDir('bench-fc-replay');
  // No periodic checkpoint: the only one is written at the first open, before any event.
  const ch = channel('bench.channels.c1.checkpointInterval = 3600000\n');
  const fill = `${source(EVENTS)}${ch}`;
  const reopen = `${source(0)}${ch}`; // nothing is put, nothing taken
  try {
    let agent = new AgentProcess(dir, 'bench', fill, ['--status-interval', '50']);
    await agent.ready(60_000);
    await waitFor(`${EVENTS} events committed`, () => (agent.counter('CHANNEL.c1', 'ChannelSize') >= EVENTS ? true : undefined), 600_000);
    await killAgentHard(agent);

    for (const what of ['log (no checkpoint covers the events)', 'checkpoint written after that replay']) {
      const spawned = performance.now();
      agent = restartAgent(dir, () => new AgentProcess(dir, 'bench', reopen, ['--status-interval', '50']));
      await agent.ready(120_000);
      const ready = performance.now() - spawned;
      const open = logsMatching(agent, /^File channel open\.$/)[0]!;
      await waitFor('counters', () => (agent.counter('CHANNEL.c1', 'EventsReplayed') > 0 ? true : undefined));
      row(
        `replay of ${fmt(EVENTS)} events from the ${what}`,
        `ReplayDurationMs ${agent.counter('CHANNEL.c1', 'ReplayDurationMs')}, EventsReplayed ${fmt(agent.counter('CHANNEL.c1', 'EventsReplayed'))}, ` +
          `records read ${fmt(Number(open['records']))} after the ${String(open['from'])}; agent start to ready ${fmt(ready)} ms`,
      );
      await killAgentHard(agent);
    }
  } finally {
    cleanup(dir);
  }
}

async function main(): Promise<void> {
  const { only, runs } = ARGS;
  console.log(`# File channel benchmark — node ${process.version}, ${fmt(RUN_EVENTS)} events per throughput run and ${fmt(EVENTS)} for the replay, ${MEAN_EVENT_BYTES.toFixed(1)} bytes each (mean, Avro-encoded), batches of ${BATCH}`);
  if (only.has('disk')) {
    const probeDir = tempDir('bench-disk');
    try {
      row('disk: fdatasync rate (4 KiB appends)', `${fmt(fdatasyncRate(probeDir))} /s`);
      row('disk: sequential write (1 MiB writes + fdatasync)', `${fmt(sequentialWrite(probeDir, false))} MiB/s`);
      row('disk: sequential synced writes (1 MiB each, O_DSYNC, one at a time)', `${fmt(sequentialWrite(probeDir, true))} MiB/s`);
    } finally {
      cleanup(probeDir);
    }
  }
  for (let i = 0; i < runs; i++) {
    if (only.has('memory')) await throughput('baseline: seq → memory → null', '', 'memory');
    if (only.has('file')) await throughput('seq → file (fsyncPerTransaction) → null', '');
    if (only.has('slow')) await throughput('seq → file (fsyncPerTransaction, a disk 2 ms slower per fdatasync) → null', '', 'slow-disk-file');
    if (only.has('channel')) await throughput('put+take: driver → file (fsyncPerTransaction) → null', '', 'file', true);
    if (only.has('channel-memory')) await throughput('put+take: driver → memory → null', '', 'memory', true);
    if (only.has('channel-2dirs')) await throughput('put+take: driver → file (fsyncPerTransaction, two dataDirs on the same disk) → null', twoDataDirs, 'file', true);
    if (only.has('channel-slow')) await throughput('put+take: driver → file (fsyncPerTransaction, a disk 2 ms slower per fdatasync) → null', '', 'slow-disk-file', true);
  }
  if (only.has('replay')) await replay();
  console.log('\n| measure | value |\n|---|---|');
  for (const r of rows) console.log(`| ${r.what} | ${r.value} |`);
  if (runs > 1) {
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    console.log('\n| run kind | events/s (median, min–max) | channel worker CPU s per 1M events (median, min–max) |\n|---|---|---|');
    for (const [label, r] of results) {
      const c = r.channelCpu;
      console.log(
        `| ${label} | ${fmt(median(r.rate))} (${fmt(Math.min(...r.rate))}–${fmt(Math.max(...r.rate))}) | ` +
          `${median(c).toFixed(2)} (${Math.min(...c).toFixed(2)}–${Math.max(...c).toFixed(2)}) |`,
      );
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
