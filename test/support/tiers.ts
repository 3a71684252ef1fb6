/**
 * Support for the multi-agent (tier-to-tier) end-to-end tests: free ports, collector and agent
 * configurations, a whole agent killed with SIGKILL (supervisor and workers) or restarted in
 * the same directory, log lines of one component, and lines appended to a tailed log.
 */
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { AgentProcess, readRolledLines, SLUICE } from './agent.js';

export { freePort } from './agent.js';

export interface CollectorOptions {
  /** Memory channel capacity (default 200,000). */
  readonly capacity?: number;
  readonly transactionCapacity?: number;
  /** Extra properties of the avro source, without the `<agent>.sources.r1.` prefix. */
  readonly source?: Record<string, string | number | boolean>;
  /** Replaces the memory channel: properties of channel c1, without the prefix. */
  readonly channel?: Record<string, string | number | boolean>;
  /** Replaces the file_roll sink: properties of sink k1, without the prefix. */
  readonly sink?: Record<string, string | number | boolean>;
}

function props(prefix: string, values: Record<string, string | number | boolean>): string {
  return Object.entries(values)
    .map(([k, v]) => `${prefix}${k} = ${v}\n`)
    .join('');
}

/** A collector: avro source on 127.0.0.1:port → memory (or `channel`) → file_roll into `out` (never rolled). */
export function collectorConfig(name: string, port: number, out: string, options: CollectorOptions = {}): string {
  const sink = options.sink ?? { type: 'file_roll', 'sink.directory': out, 'sink.rollInterval': 0, 'sink.batchSize': 1000 };
  return (
    `${name}.sources = r1\n${name}.channels = c1\n${name}.sinks = k1\n` +
    props(`${name}.sources.r1.`, { type: 'avro', bind: '127.0.0.1', port, channels: 'c1', ...options.source }) +
    props(
      `${name}.channels.c1.`,
      options.channel ?? { type: 'memory', capacity: options.capacity ?? 200_000, transactionCapacity: options.transactionCapacity ?? 1000 },
    ) +
    props(`${name}.sinks.k1.`, { channel: 'c1', ...sink })
  );
}

/** Properties of an avro sink `k` of agent `name` sending to 127.0.0.1:port. */
export function avroSinkProps(name: string, k: string, port: number | string, extra: Record<string, string | number | boolean> = {}): string {
  return props(`${name}.sinks.${k}.`, { type: 'avro', channel: 'c1', hostname: '127.0.0.1', port, 'batch-size': 100, ...extra });
}

/**
 * Starts `sluice agent` in `dir`; a status.json left by an earlier (killed) agent in the same
 * dir is removed first, so that `ready()` waits for this one.
 */
export function startAgent(dir: string, name: string, config: string, extraArgs: string[] = []): AgentProcess {
  mkdirSync(dir, { recursive: true });
  rmSync(join(dir, 'run', 'status.json'), { force: true });
  return new AgentProcess(dir, name, config, ['--status-interval', '200', ...extraArgs]);
}

export { killAgentHard } from './process-kill.js';

/** Log records of an agent from component (or grouped sink) `who` whose message matches `msg`. */
export function logsOf(agent: AgentProcess, who: string, msg: RegExp): Record<string, unknown>[] {
  return agent
    .logLines()
    .filter((l) => l['sink'] === who || (l['sink'] === undefined && l['component'] === who))
    .filter((l) => typeof l['msg'] === 'string' && msg.test(l['msg']));
}

/** The line a test appends for number i (unique, fixed width). */
export function line(i: number): string {
  return `event ${String(i).padStart(8, '0')} ${'x'.repeat(32)}`;
}

/** Appends lines [from, to) to `log` in chunks of `chunk`, pausing `pauseMs` between chunks. */
export async function appendLines(log: string, from: number, to: number, chunk = 5000, pauseMs = 5): Promise<void> {
  for (let i = from; i < to; i += chunk) {
    const lines: string[] = [];
    for (let j = i; j < Math.min(to, i + chunk); j++) lines.push(line(j));
    appendFileSync(log, lines.join('\n') + '\n');
    await new Promise((r) => setTimeout(r, pauseMs));
  }
}

/** Lines of a file_roll directory (none if it does not exist yet). */
export function outputLines(dir: string): string[] {
  return existsSync(dir) ? readRolledLines(dir) : [];
}

/** Which of lines [from, to) are missing from `seen`. */
export function missing(seen: ReadonlySet<string> | ReadonlyMap<string, number>, from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i < to; i++) if (!seen.has(line(i))) out.push(i);
  return out;
}

/** Runs `sluice avro-client` with `args`, feeding `stdin`; resolves with its exit code and output. */
export function avroClient(args: string[], stdin = '', timeoutMs = 30_000): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SLUICE, 'avro-client', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`avro-client did not finish in ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stdout });
    });
    child.stdin.end(stdin);
  });
}

/** A throwaway self-signed certificate for 127.0.0.1 in `dir` (PEM key/cert and a PKCS12 keystore), or why not. */
export function makeCert(dir: string): { key: string; cert: string; p12: string } | string {
  const files = { key: join(dir, 'key.pem'), cert: join(dir, 'cert.pem'), p12: join(dir, 'keystore.p12') };
  try {
    const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'ignore', timeout: 20_000 });
    run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', files.key, '-out', files.cert, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost']);
    run(['pkcs12', '-export', '-in', files.cert, '-inkey', files.key, '-out', files.p12, '-passout', 'pass:changeit']);
    return files;
  } catch (err) {
    return `openssl could not make a certificate: ${(err as Error).message}`;
  }
}

/** Like waitFor, for an async check: runs it until it resolves to a value, or fails after `timeoutMs`. */
export async function waitForAsync<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
  }
}
