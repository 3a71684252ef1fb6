/**
 * How much of each process's time goes to garbage collection, for the benchmarks' agents.
 * Preloaded into the agent and every worker it forks:
 *   SLUICE_GC_STATS_DIR=/tmp/gc SLUICE_AGENT_NODE_ARGS="--require $PWD/test/dist/bench/gc-observer.js" \
 *     node test/dist/bench/file-channel-bench.js 1000000 --only=channel
 * each process writes `gc-<pid>.json` there (twice a second and at exit): per kind of collection
 * (minor, major, incremental marking) and the flags V8 gave it, how many and how many ms.
 * Flags 40 (collect all external memory + synchronous phantom callbacks) mark a major GC forced
 * by external memory, i.e. Buffers that native code reported (zeromq reports each received
 * message); 64 (schedule idle) one started after a scavenge when the old generation reached its
 * limit. Then `node test/dist/bench/gc-observer.js /tmp/gc` prints one line per process.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants, PerformanceObserver } from 'node:perf_hooks';

interface Tally {
  count: number;
  ms: number;
}

interface GcStats {
  readonly title: string;
  /** Keyed `<kind>:<flags>`, e.g. `major:40`. */
  readonly gc: Record<string, Tally>;
}

const KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

function observe(dir: string): void {
  const gc: Record<string, Tally> = {};
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const detail = (e as unknown as { detail: { kind: number; flags: number } }).detail;
      const t = (gc[`${KINDS[detail.kind] ?? detail.kind}:${detail.flags}`] ??= { count: 0, ms: 0 });
      t.count++;
      t.ms += e.duration;
    }
  }).observe({ entryTypes: ['gc'] });
  const file = join(dir, `gc-${process.pid}.json`);
  const write = () => {
    const stats: GcStats = { title: process.title, gc };
    try {
      writeFileSync(file, JSON.stringify(stats));
    } catch {
      // The directory went away with the benchmark: nothing to report to.
    }
  };
  setInterval(write, 500).unref();
  process.on('exit', write);
}

function report(dir: string): void {
  for (const name of readdirSync(dir).filter((f) => /^gc-\d+\.json$/.test(f))) {
    const s = JSON.parse(readFileSync(join(dir, name), 'utf8')) as GcStats;
    const entries = Object.entries(s.gc).sort(([a], [b]) => a.localeCompare(b));
    const totalMs = entries.reduce((n, [, t]) => n + t.ms, 0);
    const parts = entries.map(([k, t]) => `${k} ${t.count}× ${Math.round(t.ms)} ms`);
    console.log(`${s.title} (pid ${name.slice(3, -5)}): ${Math.round(totalMs)} ms in GC: ${parts.join(', ')}`);
  }
}

if (require.main === module) {
  const dir = process.argv[2];
  if (dir === undefined) {
    console.error('usage: gc-observer.js <dir written by processes that preloaded it>');
    process.exit(2);
  }
  report(dir);
} else if (process.env['SLUICE_GC_STATS_DIR']) {
  observe(process.env['SLUICE_GC_STATS_DIR']);
}
