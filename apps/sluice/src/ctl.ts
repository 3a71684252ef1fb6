import { lstatSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SluiceError } from '@sluice/core';
import type { AgentSnapshot } from '@sluice/metrics';
import { CONTROL_SOCKET, defaultRunDir, type ControlOp, type ControlRequest, type ControlResults } from '@sluice/runtime';
import { computeRates, formatReload, formatRestart, formatStatus, formatTopFrame, type Rates } from './ctl-format.js';

export const CTL_HELP = `sluice ctl — control a running agent through its control socket

Usage:
  sluice ctl -n NAME [--run-dir DIR] [--timeout SEC] COMMAND [options]

Commands:
  status [--json]          every worker: kind, type, pid, state, restarts, uptime, and each
                           channel's size, capacity and fill %; --json prints the raw snapshot
  restart COMPONENT        restart one worker: a worker id (sink:g1) or a channel, source, sink
                           or sink group name; nothing committed is lost. A failed component
                           (over its restart limit) is started again.
  stop                     stop the agent gracefully, like SIGTERM
  reload [--force]         re-read the config file and restart only what changed; --force
                           allows removing a channel that still holds events
  metrics                  the counters as Flume's JSON (what GET /metrics serves)
  top [--interval SEC] [--iterations N]
                           a live view of events/s in and out per component, channel fill,
                           restarts and states, redrawn every SEC seconds (default 1);
                           q or Ctrl-C quits, or after N frames

Options:
  -n, --name NAME          the agent, as given to \`sluice agent -n NAME\`
      --run-dir DIR        the agent's run dir, if it was started with one (default as for
                           the agent: /run/sluice/NAME as root, else
                           $XDG_RUNTIME_DIR/sluice/NAME or /tmp/sluice-UID/NAME)
      --timeout SEC        how long to wait for the agent's answer (default 10)
  -h, --help               this text

Exit status: 0 done; 1 the agent refused the request (the message says why); 2 usage
error; 3 no agent answers (none running there, a stale socket, another user's agent,
or no answer in time).
`;

export type CtlAction =
  | { readonly op: 'status'; readonly json: boolean }
  | { readonly op: 'restart'; readonly component: string }
  | { readonly op: 'stop' }
  | { readonly op: 'reload'; readonly force: boolean }
  | { readonly op: 'metrics' }
  | { readonly op: 'top'; readonly intervalMs: number; readonly iterations: number | undefined };

/** `sluice ctl`, parsed: where the agent's socket is and what to ask it. */
export interface CtlCommand {
  /** The agent's name, when given (used in messages). */
  readonly agent: string | undefined;
  readonly runDir: string;
  readonly socketPath: string;
  readonly timeoutMs: number;
  readonly action: CtlAction;
}

/** Where `sluice ctl` writes, and how `top` is stopped. The process's own streams by default. */
export interface CtlIo {
  readonly stdout: { write(text: string): unknown; readonly isTTY?: boolean };
  readonly stderr: { write(text: string): unknown };
  /** Keys for `top` (q, Ctrl-C) when it is a terminal. */
  readonly stdin?: NodeJS.ReadStream;
  /** Aborting ends `top` after the current frame. */
  readonly signal?: AbortSignal;
}

const OPTIONS = {
  name: { type: 'string', short: 'n' },
  'run-dir': { type: 'string' },
  timeout: { type: 'string' },
  json: { type: 'boolean' },
  force: { type: 'boolean' },
  interval: { type: 'string' },
  iterations: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The options only one command takes. */
const COMMAND_OPTIONS: Record<string, string> = { json: 'status', force: 'reload', interval: 'top', iterations: 'top' };
const COMMANDS = ['status', 'restart', 'stop', 'reload', 'metrics', 'top'];

function usage(message: string): SluiceError {
  return new SluiceError('SLUICE_ERR_USAGE', message);
}

function seconds(raw: string | undefined, flag: string, fallbackMs: number): number {
  if (raw === undefined) return fallbackMs;
  if (!/^\d+(\.\d+)?$/.test(raw) || Number(raw) <= 0) throw usage(`--${flag} needs a positive number of seconds, not "${raw}"`);
  return Math.max(1, Math.round(Number(raw) * 1000));
}

/** Parses the arguments after `ctl`; 'help' for -h. Throws SLUICE_ERR_USAGE. */
export function parseCtlArgs(args: readonly string[]): CtlCommand | 'help' {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options: OPTIONS, strict: true, allowPositionals: true });
  } catch (err) {
    throw usage((err as Error).message);
  }
  const v = parsed.values;
  if (v.help) return 'help';
  const [command, ...rest] = parsed.positionals;
  if (command === undefined) throw usage(`missing COMMAND: one of ${COMMANDS.join(', ')}`);
  if (!COMMANDS.includes(command)) throw usage(`unknown command "${command}": expected one of ${COMMANDS.join(', ')}`);
  for (const [flag, owner] of Object.entries(COMMAND_OPTIONS)) {
    if ((v as Record<string, unknown>)[flag] !== undefined && owner !== command) throw usage(`--${flag} is an option of \`ctl ${owner}\`, not of \`ctl ${command}\``);
  }
  const wanted = command === 'restart' ? 1 : 0;
  if (command === 'restart' && rest.length === 0) throw usage('restart needs a COMPONENT: a worker id (sink:g1) or a channel, source, sink or sink group name');
  if (rest.length > wanted) throw usage(`unexpected argument "${rest[wanted]}" after \`ctl ${command}\``);

  const agent = v.name;
  if (agent !== undefined && (agent === '' || agent.includes('/') || agent === '.' || agent === '..')) throw usage(`-n/--name: "${agent}" is not an agent name`);
  const runDirFlag = v['run-dir'];
  if (agent === undefined && runDirFlag === undefined) throw usage('missing -n/--name: the agent to control (or --run-dir DIR)');
  const runDir = runDirFlag ?? defaultRunDir(agent!);

  let action: CtlAction;
  switch (command) {
    case 'status':
      action = { op: 'status', json: v.json ?? false };
      break;
    case 'restart':
      action = { op: 'restart', component: rest[0]! };
      break;
    case 'reload':
      action = { op: 'reload', force: v.force ?? false };
      break;
    case 'top': {
      const n = v.iterations;
      if (n !== undefined && (!/^\d+$/.test(n) || Number(n) < 1)) throw usage(`--iterations needs a positive integer, not "${n}"`);
      action = { op: 'top', intervalMs: seconds(v.interval, 'interval', 1000), iterations: n === undefined ? undefined : Number(n) };
      break;
    }
    default:
      action = { op: command as 'stop' | 'metrics' };
  }
  return { agent, runDir, socketPath: join(runDir, CONTROL_SOCKET), timeoutMs: seconds(v.timeout, 'timeout', 10_000), action };
}

/** The agent's answer was an error: exit status 1, its message printed as is. */
export class AgentRefusal extends SluiceError {}

/** Longest reply accepted (a status of a very large agent is well under this). */
const MAX_REPLY = 64 * 1024 * 1024;

function noAgent(message: string, cause?: unknown): SluiceError {
  return new SluiceError('SLUICE_ERR_NO_AGENT', message, { cause });
}

/** Why connecting failed, in the operator's terms. */
function connectError(cmd: CtlCommand, err: NodeJS.ErrnoException): SluiceError {
  const path = cmd.socketPath;
  switch (err.code) {
    case 'ENOENT':
    case 'ENOTDIR': {
      const who = cmd.agent === undefined ? 'no agent is running' : `no agent ${cmd.agent} is running`;
      return noAgent(`${who} with run dir ${cmd.runDir} (no control socket at ${path})`, err);
    }
    case 'ECONNREFUSED': {
      let isSocket = true;
      try {
        isSocket = lstatSync(path).isSocket();
      } catch {
        // Gone meanwhile: still stale as far as this request is concerned.
      }
      if (!isSocket) return noAgent(`${path} is not a socket: no agent is listening there`, err);
      return noAgent(`the control socket ${path} is stale: no agent is listening (it was killed?)`, err);
    }
    case 'EACCES':
    case 'EPERM':
      return noAgent(`permission denied on ${path}: the agent belongs to another user (run ctl as that user or root)`, err);
    default:
      return noAgent(`cannot reach the agent on ${path}: ${err.message}`, err);
  }
}

/**
 * Sends one request on a fresh connection and resolves with the result. Rejects with
 * SLUICE_ERR_NO_AGENT when nobody answers (no socket, stale socket, permission, timeout, connection
 * closed without a reply), AgentRefusal when the agent answers with an error, and
 * SLUICE_ERR_CONTROL when the reply is not the protocol's.
 */
export function controlRequest<Op extends ControlOp>(cmd: CtlCommand, request: ControlRequest & { op: Op }): Promise<ControlResults[Op]> {
  return new Promise((resolve, reject) => {
    const socket = connect(cmd.socketPath);
    let connected = false;
    let buf = '';
    let settled = false;
    const finish = (err: Error | null, value?: ControlResults[Op]): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(value!);
    };
    const timer = setTimeout(() => {
      const secs = cmd.timeoutMs / 1000;
      finish(
        noAgent(
          connected
            ? `the agent did not answer on ${cmd.socketPath} within ${secs} s (it may be stuck or very busy: see its log, or retry with a longer --timeout)`
            : `could not connect to ${cmd.socketPath} within ${secs} s`,
        ),
      );
    }, cmd.timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => {
      connected = true;
      socket.write(JSON.stringify(request) + '\n');
    });
    socket.on('data', (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl === -1) {
        if (buf.length > MAX_REPLY) finish(new SluiceError('SLUICE_ERR_CONTROL', `the agent's reply is over ${MAX_REPLY} bytes`));
        return;
      }
      try {
        finish(null, decodeReply<Op>(buf.slice(0, nl)));
      } catch (err) {
        finish(err as Error);
      }
    });
    socket.on('end', () => finish(noAgent(`the agent closed the control connection on ${cmd.socketPath} without answering (is it stopping?)`)));
    socket.on('error', (err: NodeJS.ErrnoException) => finish(connected ? noAgent(`lost the control connection on ${cmd.socketPath}: ${err.message}`, err) : connectError(cmd, err)));
  });
}

function decodeReply<Op extends ControlOp>(line: string): ControlResults[Op] {
  let reply: unknown;
  try {
    reply = JSON.parse(line);
  } catch {
    throw new SluiceError('SLUICE_ERR_CONTROL', `the agent's reply is not JSON: ${line.slice(0, 200)}`);
  }
  const r = reply as { ok?: unknown; result?: unknown; error?: { code?: unknown; message?: unknown } };
  if (r?.ok === true && r.result !== undefined) return r.result as ControlResults[Op];
  if (r?.ok === false && typeof r.error?.code === 'string' && typeof r.error.message === 'string') {
    throw new AgentRefusal(r.error.code as SluiceError['code'], r.error.message);
  }
  throw new SluiceError('SLUICE_ERR_CONTROL', `the agent's reply does not follow the control protocol: ${line.slice(0, 200)}`);
}

function checkSnapshot(s: AgentSnapshot): AgentSnapshot {
  if (typeof s !== 'object' || s === null || !Array.isArray(s.workers) || !Array.isArray(s.components)) {
    throw new SluiceError('SLUICE_ERR_CONTROL', 'the agent answered status with something that is not a snapshot');
  }
  return s;
}

/** Runs a parsed `sluice ctl` command, printing its output; throws SluiceError. */
export async function executeCtl(cmd: CtlCommand, io: CtlIo): Promise<void> {
  const a = cmd.action;
  switch (a.op) {
    case 'status': {
      const s = checkSnapshot(await controlRequest(cmd, { op: 'status' }));
      io.stdout.write(a.json ? JSON.stringify(s, null, 2) + '\n' : formatStatus(s));
      return;
    }
    case 'restart':
      io.stdout.write(formatRestart(await controlRequest(cmd, { op: 'restart', component: a.component })));
      return;
    case 'stop':
      await controlRequest(cmd, { op: 'stop' });
      io.stdout.write(`agent ${cmd.agent ?? `in ${cmd.runDir}`} is stopping (gracefully, as on SIGTERM)\n`);
      return;
    case 'reload':
      io.stdout.write(formatReload(await controlRequest(cmd, { op: 'reload', force: a.force })));
      return;
    case 'metrics':
      io.stdout.write(JSON.stringify(await controlRequest(cmd, { op: 'metrics' }), null, 2) + '\n');
      return;
    case 'top':
      return top(cmd, a, io);
  }
}

/** Resolves after `ms`, or at once (false) when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

const CLEAR = '\x1b[H\x1b[2J';

/**
 * `top`: a status request per interval; rates come from the counter deltas between the last two
 * snapshots whose `updatedAt` differs (counters only move when workers report, so a snapshot
 * with the same `updatedAt` keeps the previous rates rather than showing a false zero).
 */
async function top(cmd: CtlCommand, a: CtlAction & { op: 'top' }, io: CtlIo): Promise<void> {
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  io.signal?.addEventListener('abort', onAbort, { once: true });
  if (io.signal?.aborted) stop.abort();
  const keys = io.stdin?.isTTY ? io.stdin : undefined;
  const onKey = (data: Buffer | string): void => {
    const s = data.toString();
    if (s.includes('q') || s.includes('Q') || s.includes('\x03')) stop.abort();
  };
  if (keys) {
    keys.setRawMode(true);
    keys.on('data', onKey);
    keys.resume();
  }
  const tty = io.stdout.isTTY === true;
  try {
    let base: AgentSnapshot | null = null;
    let baseAt = 0;
    let rates: ReadonlyMap<string, Rates> = new Map();
    for (let i = 0; a.iterations === undefined || i < a.iterations; i++) {
      if (i > 0 && !(await sleep(a.intervalMs, stop.signal))) break;
      const s = checkSnapshot(await controlRequest(cmd, { op: 'status' }));
      const at = performance.now();
      if (base === null) {
        base = s;
        baseAt = at;
      } else if (s.updatedAt !== base.updatedAt) {
        const reported = s.updatedAt - base.updatedAt;
        rates = computeRates(base, s, reported > 0 ? reported : at - baseAt);
        base = s;
        baseAt = at;
      }
      const frame = formatTopFrame(s, rates, { intervalSec: a.intervalMs / 1000, interactive: keys !== undefined });
      io.stdout.write(tty ? CLEAR + frame : frame + '\n');
      if (stop.signal.aborted) break;
    }
  } finally {
    io.signal?.removeEventListener('abort', onAbort);
    if (keys) {
      keys.off('data', onKey);
      keys.setRawMode(false);
      keys.pause();
    }
  }
}

/** The exit status for an error: 2 usage, 3 no agent, 1 anything the agent refused or a broken reply. */
export function exitStatusOf(err: SluiceError): number {
  if (err instanceof AgentRefusal) return 1;
  if (err.code === 'SLUICE_ERR_USAGE') return 2;
  if (err.code === 'SLUICE_ERR_NO_AGENT') return 3;
  return 1;
}

/**
 * `sluice ctl ARGS`: parses, runs, prints `sluice ctl: <message>` on failure, and resolves with
 * the exit status (0 ok, 1 refused by the agent, 2 usage, 3 no agent). Errors that are not
 * SluiceErrors are bugs and propagate.
 */
export async function runCtl(args: readonly string[], io?: CtlIo): Promise<number> {
  const sigint = new AbortController();
  const onSigint = (): void => sigint.abort();
  const streams: CtlIo = io ?? { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, signal: sigint.signal };
  let trapped = false;
  try {
    const cmd = parseCtlArgs(args);
    if (cmd === 'help') {
      streams.stdout.write(CTL_HELP);
      return 0;
    }
    // Only top outlives one request: there Ctrl-C ends the view cleanly instead of killing it mid-frame.
    if (io === undefined && cmd.action.op === 'top') {
      process.on('SIGINT', onSigint);
      trapped = true;
    }
    await executeCtl(cmd, streams);
    return 0;
  } catch (err) {
    if (!(err instanceof SluiceError)) throw err;
    streams.stderr.write(`sluice ctl: ${err.message}\n`);
    if (err.code === 'SLUICE_ERR_USAGE' && !(err instanceof AgentRefusal)) streams.stderr.write('Try `sluice ctl --help`.\n');
    return exitStatusOf(err);
  } finally {
    if (trapped) process.off('SIGINT', onSigint);
  }
}
