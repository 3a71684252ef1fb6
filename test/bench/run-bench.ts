/**
 * `npm run bench`: starts real agents and prints events/s, MiB/s, CPU seconds and peak RSS per
 * process. Scenarios:
 *   1. seq → memory → null
 *   2. a pre-written 1,000,000-line file of 200-byte lines → exec `tail -n +1 -F` → memory → file_roll
 *      (checks the output's line count and sha256 against the input)
 * Usage: node test/dist/bench/run-bench.js [events]   (default 1,000,000; seq runs 3× that, since a
 * 1M-event seq run lasts under a second and the clock's 100 ms granularity would dominate it)
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentProcess, cleanup, tempDir, waitFor } from '../support/agent.js';
import { procStats, sha256Files, type ProcStats } from './proc.js';

const EVENTS = Number(process.argv[2] ?? 1_000_000);

const SEQ_EVENTS = 3 * EVENTS;

interface Result {
  readonly name: string;
  readonly events: number;
  readonly seconds: number;
  readonly bytes: number;
  readonly processes: ProcStats[];
  readonly check: string;
}

async function measure(
  name: string,
  events: number,
  dir: string,
  config: string,
  bytesPerEvent: number,
  done: (agent: AgentProcess) => boolean,
  check: () => Promise<string>,
): Promise<Result> {
  const agent = new AgentProcess(dir, 'bench', config, ['--status-interval', '100']);
  try {
    const ready = await agent.ready(60_000);
    // The clock starts when the first event is counted by the source.
    const start = await waitFor('first event', () => (agent.counter(`SOURCE.r1`, 'EventAcceptedCount') > 0 || done(agent) ? Date.now() : undefined), 60_000);
    await waitFor(`${name} complete`, () => (done(agent) ? true : undefined), 600_000);
    const seconds = (Date.now() - start) / 1000;
    const pids = [ready.pid, ...agent.status()!.components.map((c) => c.pid!)];
    const processes = pids.map((p) => procStats(p)).filter((p): p is ProcStats => p !== undefined);
    const result = { name, events, seconds, bytes: events * bytesPerEvent, processes, check: await check() };
    await agent.stop(60_000);
    return result;
  } catch (err) {
    await agent.stop(10_000).catch(() => undefined);
    throw err;
  }
}

function print(r: Result): void {
  const rate = r.events / r.seconds;
  console.log(`\n## ${r.name}`);
  console.log(`events: ${r.events}  time: ${r.seconds.toFixed(2)} s  rate: ${Math.round(rate).toLocaleString('en-US')} events/s  ${(r.bytes / r.seconds / 2 ** 20).toFixed(1)} MiB/s`);
  console.log(`check: ${r.check}`);
  console.log('| process | CPU s | peak RSS MiB |');
  console.log('|---|---|---|');
  for (const p of r.processes) console.log(`| ${p.title.slice(0, 60)} | ${p.cpuSeconds.toFixed(2)} | ${p.peakRssMiB.toFixed(0)} |`);
}

async function seqToNull(): Promise<Result> {
  const dir = tempDir('bench-seq');
  try {
    const config = `bench.sources = r1
bench.channels = c1
bench.sinks = k1
bench.sources.r1.type = seq
bench.sources.r1.totalEvents = ${SEQ_EVENTS}
bench.sources.r1.batchSize = 1000
bench.sources.r1.channels = c1
bench.channels.c1.type = memory
bench.channels.c1.capacity = 100000
bench.channels.c1.transactionCapacity = 1000
bench.sinks.k1.type = null
bench.sinks.k1.channel = c1
bench.sinks.k1.batchSize = 1000
`;
    return await measure(
      'seq → memory → null',
      SEQ_EVENTS,
      dir,
      config,
      7,
      (a) => a.counter('SINK.k1', 'EventDrainSuccessCount') >= SEQ_EVENTS,
      async () => 'null sink drained every event',
    );
  } finally {
    cleanup(dir);
  }
}

async function fileToFileRoll(): Promise<Result> {
  const dir = tempDir('bench-file');
  try {
    const input = join(dir, 'input.log');
    const out = join(dir, 'out');
    mkdirSync(out);
    const pad = 'x'.repeat(200 - 1 - 12);
    const lines: string[] = [];
    for (let i = 0; i < EVENTS; i++) lines.push(`${String(i).padStart(12, '0')}${pad}`);
    writeFileSync(input, lines.join('\n') + '\n');
    const expectedHash = await sha256Files([input]);
    const inputBytes = statSync(input).size;
    const config = `bench.sources = r1
bench.channels = c1
bench.sinks = k1
bench.sources.r1.type = exec
bench.sources.r1.command = tail -n +1 -F ${input}
bench.sources.r1.batchSize = 1000
bench.sources.r1.batchTimeout = 100
bench.sources.r1.channels = c1
bench.channels.c1.type = memory
bench.channels.c1.capacity = 100000
bench.channels.c1.transactionCapacity = 1000
bench.sinks.k1.type = file_roll
bench.sinks.k1.channel = c1
bench.sinks.k1.sink.directory = ${out}
bench.sinks.k1.sink.rollInterval = 0
bench.sinks.k1.sink.batchSize = 1000
`;
    const outBytes = () => readdirSync(out).reduce((n, f) => n + statSync(join(out, f)).size, 0);
    return await measure(
      '1M-line file → exec tail -n +1 -F → memory → file_roll',
      EVENTS,
      dir,
      config,
      200,
      () => outBytes() >= inputBytes,
      async () => {
        const files = readdirSync(out).sort().map((f) => join(out, f));
        const hash = await sha256Files(files);
        const count = files.reduce((n, f) => n + readFileSync(f, 'utf8').split('\n').length - 1, 0);
        return `${count} lines, sha256 ${hash === expectedHash ? 'matches the input' : `DIFFERS (${hash} vs ${expectedHash})`}`;
      },
    );
  } finally {
    cleanup(dir);
  }
}

async function main(): Promise<void> {
  console.log(`# Sluice benchmark — node ${process.version}, ${EVENTS.toLocaleString('en-US')}-line file, ${SEQ_EVENTS.toLocaleString('en-US')} seq events`);
  print(await seqToNull());
  print(await fileToFileRoll());
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
