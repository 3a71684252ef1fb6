/**
 * Tier-to-tier benchmark: real agents over loopback, 200-byte events.
 *   1. file → exec → memory → avro → collector (avro → memory → file_roll), no compression
 *   2. the same with compression-type = deflate on the hop
 *   3. three hops: file → agent → collector A → collector B → file_roll
 * The input is a pre-written file of N lines of 200 bytes (with the newline), read by
 * `exec tail -n +1 -F`; each run checks the output's line count and sha256 against the input.
 * The clock runs from the first event the first agent accepted to the last one the final
 * file_roll sink wrote (status.json every 100 ms, so ±0.1 s).
 * CPU is counted from the moment every agent is ready (the input file is linked into place only
 * then, so start-up is not counted) to the end of the run, per process, and also given as CPU
 * seconds per million events: unlike events/s, that figure holds on a machine shared with others.
 * First, the floor: what one bare data-plane hop costs (transport-floor.ts), which every
 * source → channel and channel → sink hop of these flows pays.
 * Usage: node test/dist/bench/avro-bench.js [events] [floor|none|deflate|three-hops ...]
 *   (default 1,000,000 events, every scenario)
 */
import { linkSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanup, tempDir, waitFor, type AgentProcess } from '../support/agent.js';
import { avroSinkProps, collectorConfig, freePort, startAgent } from '../support/tiers.js';
import { padFor } from './channel-driver.js';
import { procStats, sha256Files, type ProcStats } from './proc.js';
import { describeFloor, measureHopFloor } from './transport-floor.js';

const EVENTS = Number(process.argv[2] ?? 1_000_000);
const ONLY = new Set(process.argv.slice(3));
const wanted = (scenario: string): boolean => ONLY.size === 0 || ONLY.has(scenario);
const BATCH = 1000;

function pidsOf(agent: AgentProcess): number[] {
  return [agent.child.pid!, ...(agent.status()?.components.map((c) => c.pid).filter((p): p is number => p !== null) ?? [])];
}

/** The edge agent; `{INPUT}` is replaced by the tailed path (linked to the input once all are ready). */
function edgeConfig(port: number, hop: Record<string, string | number | boolean>): string {
  return (
    `e.sources = r1
e.channels = c1
e.sinks = k1
e.sources.r1.type = exec
e.sources.r1.command = tail -n +1 -F {INPUT}
e.sources.r1.batchSize = ${BATCH}
e.sources.r1.batchTimeout = 100
e.sources.r1.channels = c1
e.channels.c1.type = memory
e.channels.c1.capacity = 100000
e.channels.c1.transactionCapacity = ${BATCH}
` + avroSinkProps('e', 'k1', port, { 'batch-size': BATCH, ...hop })
  );
}

interface Result {
  readonly name: string;
  readonly seconds: number;
  readonly processes: ProcStats[];
  readonly check: string;
}

/**
 * Starts the tiers last to first (each collector ready before its sender), then the edge agent,
 * and times the run. `tiers` are [name, config] from the last tier (with the file_roll) first.
 */
async function run(name: string, dir: string, out: string, tiers: [string, string][], edge: string, input: string, inputHash: string): Promise<Result> {
  const agents: AgentProcess[] = [];
  try {
    for (const [n, conf] of tiers) {
      const a = startAgent(join(dir, n), n, conf, ['--status-interval', '100']);
      agents.push(a);
      await a.ready(60_000);
    }
    const last = agents[0]!;
    const tailed = join(dir, 'input.log');
    const first = startAgent(join(dir, 'e'), 'e', edge.replace('{INPUT}', tailed), ['--status-interval', '100']);
    agents.push(first);
    await first.ready(60_000);
    const before = new Map(agents.flatMap(pidsOf).map((pid) => [pid, procStats(pid)]));
    linkSync(input, tailed); // tail -F picks it up: the run starts now
    const start = await waitFor('first event', () => (first.counter('SOURCE.r1', 'EventAcceptedCount') > 0 ? Date.now() : undefined), 60_000);
    await waitFor(`${name} complete`, () => (last.counter('SINK.k1', 'EventDrainSuccessCount') >= EVENTS ? true : undefined), 600_000);
    const seconds = (Date.now() - start) / 1000;
    const processes = agents
      .flatMap(pidsOf)
      .map(procStats)
      .filter((p): p is ProcStats => p !== undefined)
      .map((p) => {
        const b = before.get(p.pid);
        const [user, sys] = [p.user - (b?.user ?? 0), p.sys - (b?.sys ?? 0)];
        return { ...p, user, sys, cpuSeconds: user + sys };
      });
    const files = readdirSync(out)
      .sort()
      .map((f) => join(out, f));
    const hash = await sha256Files(files);
    const lines = files.reduce((n, f) => n + readFileSync(f, 'utf8').split('\n').length - 1, 0);
    return { name, seconds, processes, check: `${lines} lines, sha256 ${hash === inputHash ? 'matches the input' : 'DIFFERS from the input'}` };
  } finally {
    for (const a of agents.reverse()) await a.stop(60_000).catch(() => undefined);
  }
}

function print(r: Result): void {
  console.log(`\n## ${r.name}`);
  console.log(`events: ${EVENTS}  time: ${r.seconds.toFixed(2)} s  rate: ${Math.round(EVENTS / r.seconds).toLocaleString('en-US')} events/s  ${((EVENTS * 200) / r.seconds / 2 ** 20).toFixed(1)} MiB/s`);
  console.log(`check: ${r.check}`);
  const perM = (s: number): string => ((s * 1e6) / EVENTS).toFixed(2);
  console.log('| process | CPU s | CPU s / 1M events (user + sys) | peak RSS MiB |');
  console.log('|---|---|---|---|');
  for (const p of r.processes) console.log(`| ${p.title.slice(0, 60)} | ${p.cpuSeconds.toFixed(2)} | ${perM(p.cpuSeconds)} (${perM(p.user)} + ${perM(p.sys)}) | ${p.peakRssMiB.toFixed(0)} |`);
  const total = r.processes.reduce((n, p) => n + p.cpuSeconds, 0);
  console.log(`| total | ${total.toFixed(2)} | ${perM(total)} | |`);
}

async function main(): Promise<void> {
  const dir = tempDir('avro-bench');
  try {
    const input = join(dir, 'input.log');
    const pad = 'x'.repeat(200 - 1 - 12);
    const lines: string[] = [];
    for (let i = 0; i < EVENTS; i++) lines.push(`${String(i).padStart(12, '0')}${pad}`);
    writeFileSync(input, lines.join('\n') + '\n');
    lines.length = 0;
    const inputHash = await sha256Files([input]);
    console.log(`# Sluice avro benchmark — node ${process.version}, ${EVENTS.toLocaleString('en-US')} events of 200 bytes, batches of ${BATCH}, loopback`);
    console.log(`# input: ${(statSync(input).size / 2 ** 20).toFixed(0)} MiB`);

    if (wanted('floor')) {
      // Every event of the flows below crosses four such hops (source → channel → sink, twice) and one avro connection.
      const floor = await measureHopFloor(EVENTS, BATCH, padFor(200));
      console.log(`\n## floor: one bare data-plane hop (ZeroMQ, no channel behind it)\n${describeFloor(floor)}`);
    }

    const results: Result[] = [];
    for (const [label, hop] of [
      ['none', {}],
      ['deflate', { 'compression-type': 'deflate' }],
    ] as const) {
      if (!wanted(label)) continue;
      const sub = join(dir, label);
      const out = join(sub, 'out');
      mkdirSync(out, { recursive: true });
      const port = await freePort();
      const collector = collectorConfig('c', port, out, { source: hop, capacity: 100_000 });
      const r = await run(`agent → avro (${label}) → collector → file_roll`, sub, out, [['c', collector]], edgeConfig(port, hop), input, inputHash);
      print(r);
      results.push(r);
    }

    if (wanted('three-hops')) {
      const sub = join(dir, 'three-hops');
      const out = join(sub, 'out');
      mkdirSync(out, { recursive: true });
      const [portA, portB] = [await freePort(), await freePort()];
      const confB = collectorConfig('b', portB, out, { capacity: 100_000 });
      const confA = collectorConfig('a', portA, '', { capacity: 100_000, sink: { type: 'avro', hostname: '127.0.0.1', port: portB, 'batch-size': BATCH } });
      const r3 = await run('three hops: agent → collector A → collector B → file_roll', sub, out, [['b', confB], ['a', confA]], edgeConfig(portA, {}), input, inputHash);
      print(r3);
      results.push(r3);
    }

    console.log('\n## summary');
    for (const r of results) console.log(`${r.name}: ${Math.round(EVENTS / r.seconds).toLocaleString('en-US')} events/s (${r.check})`);
  } finally {
    cleanup(dir);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
