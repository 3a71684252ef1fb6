/**
 * Exec source micro-benchmark: the CPU the exec source's process spends per 1,000,000 lines,
 * from the bytes on the command's stdout to an encoded batch handed to the runtime.
 *
 * The source runs `cat FILE` (a file of 200-byte lines, newline included, as in avro-bench), with
 * batchSize 1000, under a fake context whose emit/emitBatch stand in for the runtime's emitter
 * with no interceptor and a fixed selector (emit encodes the events with core's encodeBatch;
 * emitBatch takes the bytes as they are) and commit at once. The child's CPU is not counted:
 * process.cpuUsage() of this process only, user + system, from start() to the last line committed.
 *
 * Usage: npm run build && node test/dist/bench/exec-source-bench.js [lines] [--runs=N] [--command=C] [--input=F] [--sources=A,B]
 *   lines      lines per run (default 1,000,000)
 *   --runs     runs per build (default 5), interleaved between builds
 *   --command  the command, {FILE} standing for the input (default `cat {FILE}`; the tier
 *              benchmark runs `tail -n +1 -F {FILE}`)
 *   --input    where to keep the input file (written unless it has the right size), e.g. to
 *              profile without the writing; default: a temp dir, removed at the end
 *   --sources  paths of @sluice/sources builds to compare (their dist/index.js), e.g. a copy of
 *              a baseline's dist (run with NODE_PATH=node_modules so it finds @sluice/core);
 *              default: the workspace's @sluice/sources
 */
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Counters, createLogger, encodeBatch, SOURCE_COUNTERS, type Batch, type Emit, type EmitBatch, type SluiceEvent, type SourceContext } from '@sluice/core';

interface SourcesModule {
  readonly execSource: {
    readonly keys: Record<string, { default?: unknown }>;
    create(config: never, ctx: SourceContext): { start(): Promise<void>; stop(): Promise<void> };
  };
}

const LINE = 200;

function argValue(name: string): string | undefined {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg?.slice(name.length + 3);
}

function writeInput(path: string, lines: number): void {
  const pad = 'x'.repeat(LINE - 1 - 12);
  const block: string[] = [];
  const parts: Buffer[] = [];
  for (let i = 0; i < lines; i++) {
    block.push(`${String(i).padStart(12, '0')}${pad}\n`);
    if (block.length === 10_000 || i === lines - 1) {
      parts.push(Buffer.from(block.join('')));
      block.length = 0;
    }
  }
  writeFileSync(path, Buffer.concat(parts));
}

/** One run: CPU-s of this process from start() to the last line committed. */
async function run(mod: SourcesModule, command: string, lines: number): Promise<{ cpu: number; user: number; bytes: number }> {
  let events = 0;
  let bytes = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const count = (n: number, size: number) => {
    events += n;
    bytes += size;
    if (events >= lines) done();
  };
  const emit: Emit = async (evs: readonly SluiceEvent[]) => {
    const encoded = encodeBatch(evs);
    count(evs.length, encoded.length);
  };
  const emitBatch: EmitBatch = async (batch: Batch) => {
    count(batch.count, batch.bytes.length);
  };
  const ctx: SourceContext = {
    agent: 'bench',
    name: 'r1',
    logger: createLogger({ level: 'silent' }),
    counters: new Counters(SOURCE_COUNTERS),
    dataDir: tmpdir(),
    emit,
    emitBatch,
    // Every emit commits at once: the runtime's window never fills.
    writable: () => true,
    whenWritable: async () => undefined,
    retrying: () => undefined,
  };
  const values: Record<string, unknown> = { command, batchSize: 1000, batchTimeout: 100 };
  const config: Record<string, unknown> = {};
  for (const [k, spec] of Object.entries(mod.execSource.keys)) config[k] = k in values ? values[k] : spec.default;
  const source = mod.execSource.create(config as never, ctx);
  const before = process.cpuUsage();
  await source.start();
  await finished;
  const used = process.cpuUsage(before);
  await source.stop();
  return { cpu: (used.user + used.system) / 1e6, user: used.user / 1e6, bytes };
}

async function main(): Promise<void> {
  const lines = Number(process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 1_000_000);
  const runs = Number(argValue('runs') ?? 5);
  const paths = argValue('sources')?.split(',') ?? ['@sluice/sources'];
  const load = createRequire(__filename);
  const mods = paths.map((p) => ({ name: p, mod: load(p.startsWith('@') ? p : resolve(p)) as SourcesModule, cpu: [] as number[], user: [] as number[] }));
  const dir = mkdtempSync(join(tmpdir(), 'exec-bench-'));
  try {
    const input = argValue('input') ?? join(dir, 'input.log');
    if (!existsSync(input) || statSync(input).size !== lines * LINE) writeInput(input, lines);
    const command = (argValue('command') ?? 'cat {FILE}').replace('{FILE}', input);
    for (const m of mods) await run(m.mod, command, Math.min(lines, 100_000)); // warm-up
    for (let i = 0; i < runs; i++) {
      for (const m of mods) {
        const r = await run(m.mod, command, lines);
        m.cpu.push((r.cpu * 1e6) / lines);
        m.user.push((r.user * 1e6) / lines);
      }
    }
    console.log(`# exec source \`${argValue('command') ?? 'cat {FILE}'}\`: ${lines.toLocaleString('en-US')} lines of ${LINE} bytes, batches of 1000, node ${process.version}; CPU-s per 1M lines`);
    for (const m of mods) {
      const sorted = [...m.cpu].sort((a, b) => a - b);
      const users = [...m.user].sort((a, b) => a - b);
      const mid = Math.floor(sorted.length / 2);
      console.log(`${m.name}: median ${sorted[mid]!.toFixed(3)} (user ${users[mid]!.toFixed(3)})  runs ${m.cpu.map((c) => c.toFixed(3)).join(' ')}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
