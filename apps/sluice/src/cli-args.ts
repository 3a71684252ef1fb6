import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SluiceError } from '@sluice/core';

export interface ParsedCommand {
  readonly command: 'agent' | 'check' | 'avro-client' | 'ctl' | 'help' | 'version';
  readonly values: Record<string, string | boolean | string[] | undefined>;
  /** Flume's `-Dkey=value` settings. */
  readonly defines: Record<string, string>;
  /** Notes for the operator about accepted-but-ignored flags. */
  readonly notes: string[];
  /** The arguments after `avro-client` or `ctl`, parsed by that command itself. */
  readonly args?: readonly string[];
}

const COMMON = {
  name: { type: 'string', short: 'n' },
  'conf-file': { type: 'string', short: 'f' },
  conf: { type: 'string', short: 'c' },
  strict: { type: 'boolean' },
  plugin: { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const;

const AGENT = {
  ...COMMON,
  'run-dir': { type: 'string' },
  'data-dir': { type: 'string' },
  'log-format': { type: 'string' },
  'log-level': { type: 'string' },
  'shutdown-timeout': { type: 'string' },
  'restart-backoff-min': { type: 'string' },
  'restart-backoff-max': { type: 'string' },
  'restart-limit': { type: 'string' },
  'restart-window': { type: 'string' },
  'lease-timeout': { type: 'string' },
  'exit-after': { type: 'string' },
  'status-interval': { type: 'string' },
  'no-reload-conf': { type: 'boolean' },
  'reload-interval': { type: 'string' },
  'metrics-port': { type: 'string' },
  'metrics-bind': { type: 'string' },
} as const;

/** The `-D` properties Sluice acts on; any other is listed once at start as ignored. */
export const USED_DEFINES: readonly string[] = ['flume.monitoring.type', 'flume.monitoring.port', 'flume.root.logger', 'propertiesImplementation'];

/** The `-D` properties given that Sluice does not use, in command-line order. */
export function ignoredDefines(defines: ParsedCommand['defines']): string[] {
  return Object.keys(defines).filter((k) => !USED_DEFINES.includes(k));
}

/** pino's levels, as `--log-level` takes them. */
const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
/** log4j's levels, as `-Dflume.root.logger=LEVEL,appender` names them, to pino's. */
const LOG4J_LEVELS: Readonly<Record<string, string>> = { ALL: 'trace', TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error', FATAL: 'fatal', OFF: 'silent' };

/**
 * The log level asked for: `--log-level`, else the level of Flume's `-Dflume.root.logger=LEVEL,console`
 * (log4j's names, any case; the appender after the comma is ignored); undefined when neither is given.
 */
export function logLevel(cmd: Pick<ParsedCommand, 'values' | 'defines'>): string | undefined {
  const flag = cmd.values['log-level'];
  if (typeof flag === 'string') {
    if (!LOG_LEVELS.includes(flag)) throw new SluiceError('SLUICE_ERR_USAGE', `--log-level must be one of ${LOG_LEVELS.join(', ')}, not "${flag}"`);
    return flag;
  }
  const root = cmd.defines['flume.root.logger'];
  if (root === undefined) return undefined;
  const level = LOG4J_LEVELS[root.split(',')[0]!.trim().toUpperCase()];
  if (level === undefined) {
    throw new SluiceError('SLUICE_ERR_USAGE', `-Dflume.root.logger=${root}: the level must be one of ${Object.keys(LOG4J_LEVELS).join(', ')}`);
  }
  return level;
}

/** Parses `sluice <command> [options]`, accepting Flume's flags (`-n`, `-f`, `-c`, `-Dk=v`). */
export function parseCommand(argv: readonly string[]): ParsedCommand {
  const defines: Record<string, string> = {};
  const rest: string[] = [];
  for (const a of argv) {
    const m = /^-D([^=]+)=(.*)$/.exec(a);
    if (m) defines[m[1]!] = m[2]!;
    else rest.push(a);
  }
  const [first, ...args] = rest;
  if (first === undefined || first === 'help' || first === '--help' || first === '-h') return { command: 'help', values: {}, defines, notes: [] };
  if (first === 'version' || first === '--version' || first === '-V') return { command: 'version', values: {}, defines, notes: [] };
  if (first === 'avro-client' || first === 'ctl') return { command: first, values: {}, defines, notes: [], args };
  if (first !== 'agent' && first !== 'check') {
    throw new SluiceError('SLUICE_ERR_USAGE', `unknown command "${first}": expected agent, check, ctl, avro-client, help or version`);
  }
  let values: ParsedCommand['values'];
  try {
    values = parseArgs({ args, options: first === 'agent' ? AGENT : COMMON, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new SluiceError('SLUICE_ERR_USAGE', (err as Error).message, { cause: err });
  }
  const notes: string[] = [];
  if (values['conf'] !== undefined) notes.push(`--conf ${String(values['conf'])} is ignored: Sluice needs no flume-env.sh or log4j directory.`);
  if (!values['help']) {
    if (typeof values['name'] !== 'string') throw new SluiceError('SLUICE_ERR_USAGE', 'missing -n/--name: the agent to run from the file');
    if (typeof values['conf-file'] !== 'string') throw new SluiceError('SLUICE_ERR_USAGE', 'missing -f/--conf-file: the Flume properties file');
  }
  return { command: values['help'] ? 'help' : first, values, defines, notes };
}

/**
 * The `--plugin` modules, as absolute paths (relative ones are taken from the current directory).
 * Each must exist: a missing one is a usage error, not a failure of every worker at start.
 */
export function pluginPaths(values: ParsedCommand['values']): string[] {
  const given = values['plugin'];
  const paths = (Array.isArray(given) ? given : []).map((p) => resolve(p));
  for (const p of paths) {
    if (!existsSync(p)) throw new SluiceError('SLUICE_ERR_USAGE', `--plugin ${p}: no such file`);
  }
  return paths;
}

/** A positive number of seconds or milliseconds from a flag, in ms; throws a usage error otherwise. */
export function durationFlag(values: ParsedCommand['values'], flag: string, unitMs: number, fallbackMs: number): number {
  const raw = values[flag];
  if (raw === undefined) return fallbackMs;
  if (typeof raw !== 'string' || !/^\d+(\.\d+)?$/.test(raw)) {
    throw new SluiceError('SLUICE_ERR_USAGE', `--${flag} needs a non-negative number, not "${String(raw)}"`);
  }
  return Math.round(Number(raw) * unitMs);
}

export const HELP = `sluice — a Flume-compatible log and event collector

Usage:
  sluice agent -n NAME -f FILE [options]   run agent NAME from a Flume properties file
  sluice check -n NAME -f FILE [--strict] [--plugin MODULE]
                                           validate FILE and print the resolved topology
  sluice ctl -n NAME [--run-dir DIR] COMMAND
                                           control a running agent: status, restart COMPONENT,
                                           stop, reload [--force], metrics, top (\`sluice ctl -h\`)
  sluice avro-client -H HOST -p PORT [-F FILE] [options]
                                           send lines to an avro source (\`sluice avro-client -h\`)
  sluice help | --help                     this text
  sluice version | --version               the version

Agent options:
  -n, --name NAME              agent name: the prefix of the keys in FILE (a1.sources = ...)
  -f, --conf-file FILE         Flume properties file; real Flume configs run unchanged
      --strict                 unknown keys are errors, not warnings
      --plugin MODULE          also register the component types a JavaScript module exports
                               as \`factories\` (repeatable; for agent and check; see
                               docs/component-spec.md)
      --run-dir DIR            sockets, pid lock, status.json (default /run/sluice/NAME as root,
                               else $XDG_RUNTIME_DIR/sluice/NAME or /tmp/sluice-UID/NAME)
      --data-dir DIR           durable state (default /var/lib/sluice/NAME as root,
                               else ~/.local/share/sluice/NAME)
      --log-format json|pretty JSON lines (default), or pretty when stdout is a terminal
      --log-level LEVEL        trace, debug, info (default), warn, error, fatal, silent
                               (Flume's -Dflume.root.logger=LEVEL,console sets it too)
      --shutdown-timeout SEC   deadline for a graceful stop (default 30)
      --restart-backoff-min MS first restart delay of a dead worker (default 250; doubles per
                               death, jittered, back to the minimum after 10 s of running)
      --restart-backoff-max MS longest restart delay (default 10000)
      --restart-limit N        more than N restarts within --restart-window marks a component
      --restart-window SEC     failed: it stays down until \`sluice ctl restart\` or a reload
                               (defaults 20 and 600)
      --metrics-port PORT      serve GET /metrics (Flume's JSON), /metrics/prometheus and
                               /health over HTTP (like -Dflume.monitoring.type=http
                               -Dflume.monitoring.port=PORT; Flume's default port is 41414)
      --metrics-bind ADDR      address for --metrics-port (default 127.0.0.1)
      --reload-interval SEC    how often the config file is checked for changes (default 30);
                               a change, SIGHUP or \`sluice ctl reload\` validates the new file and
                               restarts only the components it changed
      --no-reload-conf         never re-read the file by polling (SIGHUP and ctl reload still do)
      --lease-timeout SEC      a taken batch not acknowledged in this time is re-queued (default 60)
      --exit-after SEC         stop gracefully after SEC seconds (examples, benchmarks)
      --status-interval MS     how often workers report counters and status.json is
                               rewritten (default 1000)
  Flume flags accepted: -c/--conf DIR (ignored), --no-reload-conf, -Dkey=value
  (-Dflume.monitoring.type=http -Dflume.monitoring.port=PORT starts the HTTP monitor,
  -Dflume.root.logger=LEVEL,console sets the log level,
  -DpropertiesImplementation=org.apache.flume.node.EnvVarResolverProperties replaces
  \${NAME} in values by the environment variable NAME, for agent and check; other -D
  properties are listed once at start as ignored).

Signals: SIGTERM or SIGINT stop gracefully (sources first, sinks drain, channels last).
SIGHUP reloads the config file. The agent logs one "agent ready" line when every
worker runs, listens on RUN_DIR/control.sock for \`sluice ctl\`, and rewrites
RUN_DIR/status.json every second (components, pids, states, Flume counters).
`;
