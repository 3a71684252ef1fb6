import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const SLUICE = resolve(__dirname, '..', '..', '..', 'apps', 'sluice', 'dist', 'main.js');

/** A `sluice` command line to start: the program and the arguments before the subcommand. */
export type SluiceCommand = readonly [string, ...string[]];

/** The checkout's compiled CLI, run by this node. */
export const CHECKOUT_SLUICE: SluiceCommand = [process.execPath, SLUICE];

/** A temp dir for one test, removed by `cleanup`. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `sluice-${prefix}-`));
}

export interface StatusComponent {
  id: string;
  kind: string;
  name: string;
  type: string;
  pid: number | null;
  state: string;
  restarts: number;
  failure: string | null;
}

export interface Status {
  state: string;
  pid: number;
  components: StatusComponent[];
  counters: Record<string, Record<string, number>>;
}

/** Polls `check` every 50 ms until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A running `sluice agent`, its run dir and its output. */
export class AgentProcess {
  readonly child: ChildProcess;
  readonly runDir: string;
  output = '';
  private exitCode: number | null | undefined;

  constructor(
    readonly dir: string,
    readonly name: string,
    configText: string,
    extraArgs: string[] = [],
    /** Variables added to the agent's environment (which is otherwise this process's). */
    env: Record<string, string> = {},
    /** The `sluice` to run; the checkout's build by default (e.g. an installed command instead). */
    readonly command?: SluiceCommand,
  ) {
    const conf = join(dir, `${name}.properties`);
    writeFileSync(conf, configText);
    this.runDir = join(dir, 'run');
    // SLUICE_AGENT_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") goes to the agent's node,
    // and from there to every worker it forks: for profiling the benchmarks.
    const nodeArgs = (process.env['SLUICE_AGENT_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== '');
    const [program, ...prefix] = command ?? [process.execPath, ...nodeArgs, SLUICE];
    this.child = spawn(
      program,
      [...prefix, 'agent', '-n', name, '-f', conf, '--run-dir', this.runDir, '--data-dir', join(dir, 'data'), '--log-format', 'json', ...extraArgs],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } },
    );
    this.child.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
    this.child.on('exit', (code) => (this.exitCode = code));
  }

  status(): Status | undefined {
    try {
      return JSON.parse(readFileSync(join(this.runDir, 'status.json'), 'utf8')) as Status;
    } catch {
      return undefined;
    }
  }

  /** Waits for the "agent ready" state (status.json says running and every worker runs). */
  async ready(timeoutMs = 30_000): Promise<Status> {
    return waitFor(
      'agent ready',
      () => {
        if (this.exitCode !== undefined) throw new Error(`agent exited with ${this.exitCode}:\n${this.output}`);
        const s = this.status();
        // The pid check skips a status.json left behind by an earlier, killed agent on the same run dir.
        return s && s.pid === this.child.pid && s.state === 'running' && s.components.every((c) => c.state === 'running') ? s : undefined;
      },
      timeoutMs,
    );
  }

  component(id: string): StatusComponent {
    const c = this.status()?.components.find((x) => x.id === id);
    if (!c) throw new Error(`no component ${id} in status.json`);
    return c;
  }

  counter(key: string, name: string): number {
    return this.status()?.counters[key]?.[name] ?? 0;
  }

  /** SIGKILLs one worker and waits until the supervisor has restarted it (a new pid, running). */
  async killWorker(id: string): Promise<number> {
    const before = this.component(id).pid!;
    process.kill(before, 'SIGKILL');
    await waitFor(`${id} restarted`, () => {
      const c = this.component(id);
      return c.pid !== null && c.pid !== before && c.state === 'running' ? true : undefined;
    });
    return before;
  }

  /** Runs `sluice ctl --run-dir RUN_DIR ...args`; resolves with its exit code and output. */
  ctl(...args: string[]): Promise<CtlResult> {
    return runCtl(['--run-dir', this.runDir, ...args], { command: this.command });
  }

  /** Waits for the agent to exit by itself (no signal sent); returns the exit code. */
  async exited(timeoutMs = 30_000): Promise<number | null> {
    await waitFor('agent exit', () => (this.exitCode !== undefined ? true : undefined), timeoutMs);
    return this.exitCode ?? null;
  }

  /** SIGTERM, then waits for the exit (graceful stop); returns the exit code. */
  async stop(timeoutMs = 30_000): Promise<number | null> {
    if (this.exitCode === undefined) this.child.kill('SIGTERM');
    await waitFor('agent exit', () => (this.exitCode !== undefined ? true : undefined), timeoutMs);
    if (process.env['SLUICE_KEEP_TEST_DIRS'] === '1') writeFileSync(join(this.dir, `${this.name}.log`), this.output);
    return this.exitCode ?? null;
  }

  logLines(): Record<string, unknown>[] {
    return this.output
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch {
          return {};
        }
      });
  }
}

export interface CtlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `sluice ctl ...args` (bounded: 20 s), with the checkout's build unless `command` names another. */
export function runCtl(args: readonly string[], options: { uid?: number; gid?: number; command?: SluiceCommand } = {}): Promise<CtlResult> {
  const { command = CHECKOUT_SLUICE, ...ids } = options;
  const [program, ...prefix] = command;
  return new Promise((resolve) => {
    execFile(program, [...prefix, 'ctl', ...args], { timeout: 20_000, ...ids }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Every line of every file in a file_roll directory, files in name order (their roll order). */
export function readRolledLines(dir: string): string[] {
  const files = readdirSync(dir).sort((a, b) => rollKey(a) - rollKey(b) || a.localeCompare(b));
  const lines: string[] = [];
  for (const f of files) {
    const text = readFileSync(join(dir, f), 'utf8');
    if (text.length === 0) continue;
    const parts = text.split('\n');
    if (text.endsWith('\n')) parts.pop();
    // A loop, not push(...parts): spreading a million lines overflows the call stack.
    for (const l of parts) lines.push(l);
  }
  return lines;
}

/** file_roll names files `<startMs>-<n>`: order by start time then counter. */
function rollKey(name: string): number {
  const m = /(\d+)-(\d+)/.exec(name);
  return m ? Number(m[1]) * 1e6 + Number(m[2]) : 0;
}

/** Removes a test's directory; `SLUICE_KEEP_TEST_DIRS=1` keeps it (logs, data) for a post-mortem. */
export function cleanup(dir: string): void {
  if (process.env['SLUICE_KEEP_TEST_DIRS'] === '1') {
    console.log(`# kept ${dir}`);
    return;
  }
  rmSync(dir, { recursive: true, force: true });
}

/** Counts, per value, how often it occurs; for loss and duplicate accounting. */
export function tally(lines: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const l of lines) m.set(l, (m.get(l) ?? 0) + 1);
  return m;
}

/** Whether a process exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
