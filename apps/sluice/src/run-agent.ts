import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createLogger, SluiceError, type LogFormat, type Logger } from '@sluice/core';
import { ENV_VAR_RESOLVER, formatDiagnostics, loadAgentConfig, type TopologyResult } from '@sluice/config';
import { DEFAULT_RESTART_POLICY, DEFAULT_TUNING, agentRegistry, defaultDataDir, defaultRunDir, Supervisor } from '@sluice/runtime';
import { durationFlag, ignoredDefines, logLevel, pluginPaths, type ParsedCommand } from './cli-args.js';

/** Flume's HTTP monitor port when `-Dflume.monitoring.type=http` names none. */
const FLUME_MONITORING_PORT = 41414;

/** True when `-DpropertiesImplementation` asks for Flume's `${NAME}` environment substitution; a usage error for any other class. */
export function envVarsFlag(cmd: ParsedCommand): boolean {
  const impl = cmd.defines['propertiesImplementation'];
  if (impl === undefined) return false;
  if (impl === ENV_VAR_RESOLVER) return true;
  throw new SluiceError('SLUICE_ERR_USAGE', `-DpropertiesImplementation=${impl} is not supported: Sluice knows ${ENV_VAR_RESOLVER} (\${NAME} from the environment)`);
}

function read(cmd: ParsedCommand): TopologyResult {
  const file = String(cmd.values['conf-file']);
  return loadAgentConfig({
    file,
    agent: String(cmd.values['name']),
    registry: agentRegistry(pluginPaths(cmd.values)),
    strict: Boolean(cmd.values['strict']),
    envVars: envVarsFlag(cmd),
  });
}

/**
 * Loads and validates the config. An invalid one is refused: every diagnostic is printed to
 * stderr as `sluice check` prints it, and the process exits 1. A valid one's warnings are printed
 * there too, or, given the agent's logger, logged at warn with their file and line.
 */
export function load(cmd: ParsedCommand, logger?: Logger) {
  const result = read(cmd);
  if (!result.topology) {
    process.stderr.write(formatDiagnostics(result.diagnostics) + '\n');
    const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
    process.stderr.write(`${String(cmd.values['conf-file'])}: ${errors} error(s); nothing was started.\n`);
    process.exit(1);
  }
  if (logger) logWarnings(logger, result.diagnostics);
  else if (result.diagnostics.length > 0) process.stderr.write(formatDiagnostics(result.diagnostics) + '\n');
  return result.topology;
}

/** Logs the warnings of a valid config, one line each, in line order. */
function logWarnings(logger: Logger, diagnostics: TopologyResult['diagnostics']): void {
  for (const d of [...diagnostics].sort((a, b) => a.line - b.line)) {
    if (d.severity === 'warning') logger.warn({ file: d.file, line: d.line, problem: d.message }, 'Config warning.');
  }
}

/** `--metrics-port`, or Flume's `-Dflume.monitoring.type=http [-Dflume.monitoring.port=P]`. */
function monitorOption(cmd: ParsedCommand): { host: string; port: number } | undefined {
  const host = typeof cmd.values['metrics-bind'] === 'string' ? cmd.values['metrics-bind'] : '127.0.0.1';
  const type = cmd.defines['flume.monitoring.type'];
  if (type !== undefined && type !== 'http') {
    throw new SluiceError('SLUICE_ERR_USAGE', `-Dflume.monitoring.type=${type} is not supported: Sluice serves http (and Prometheus text on it)`);
  }
  const raw = cmd.values['metrics-port'] ?? cmd.defines['flume.monitoring.port'] ?? (type === 'http' ? String(FLUME_MONITORING_PORT) : undefined);
  if (raw === undefined) return undefined;
  const port = Number(raw);
  if (!/^\d+$/.test(String(raw)) || port < 1 || port > 65535) throw new SluiceError('SLUICE_ERR_USAGE', `the metrics port must be 1-65535, not "${String(raw)}"`);
  return { host, port };
}

export async function runAgent(cmd: ParsedCommand): Promise<void> {
  const agent = String(cmd.values['name']);
  const format = (cmd.values['log-format'] ?? (process.stdout.isTTY ? 'pretty' : 'json')) as LogFormat;
  if (format !== 'json' && format !== 'pretty') throw new SluiceError('SLUICE_ERR_USAGE', '--log-format must be json or pretty');
  // The workers inherit the level through the environment.
  const level = logLevel(cmd);
  if (level !== undefined) process.env['SLUICE_LOG_LEVEL'] = level;
  const logger = createLogger({ format, bindings: { agent, kind: 'supervisor' } });
  for (const note of cmd.notes) logger.info(note);
  const ignored = ignoredDefines(cmd.defines);
  if (ignored.length > 0) logger.info({ properties: ignored }, 'These -D properties are ignored: Sluice does not use them.');
  const monitor = monitorOption(cmd);
  const reloadIntervalMs = durationFlag(cmd.values, 'reload-interval', 1000, 30_000);
  const topology = load(cmd, logger);
  // SIGTERM, SIGINT, `ctl stop` and --exit-after share one graceful stop: a second request waits for it.
  let stopping: Promise<never> | undefined;
  const stop = () =>
    (stopping ??= supervisor.stop().then(() => process.exit(0)));
  const supervisor = new Supervisor({
    topology,
    runDir: resolve(String(cmd.values['run-dir'] ?? defaultRunDir(agent))),
    dataDir: resolve(String(cmd.values['data-dir'] ?? defaultDataDir(agent))),
    logger,
    logFormat: format,
    plugins: pluginPaths(cmd.values),
    restart: {
      ...DEFAULT_RESTART_POLICY,
      minBackoffMs: durationFlag(cmd.values, 'restart-backoff-min', 1, DEFAULT_RESTART_POLICY.minBackoffMs),
      maxBackoffMs: durationFlag(cmd.values, 'restart-backoff-max', 1, DEFAULT_RESTART_POLICY.maxBackoffMs),
      limit: durationFlag(cmd.values, 'restart-limit', 1, DEFAULT_RESTART_POLICY.limit),
      windowMs: durationFlag(cmd.values, 'restart-window', 1000, DEFAULT_RESTART_POLICY.windowMs),
    },
    tuning: {
      ...DEFAULT_TUNING,
      leaseMs: durationFlag(cmd.values, 'lease-timeout', 1000, DEFAULT_TUNING.leaseMs),
      countersIntervalMs: Math.max(10, durationFlag(cmd.values, 'status-interval', 1, DEFAULT_TUNING.countersIntervalMs)),
    },
    shutdownTimeoutMs: durationFlag(cmd.values, 'shutdown-timeout', 1000, 30_000),
    startTimeoutMs: 30_000,
    monitor,
    loadTopology: () => {
      const result = read(cmd);
      if (result.topology) logWarnings(logger, result.diagnostics);
      return { topology: result.topology, errors: result.diagnostics.filter((d) => d.severity === 'error').map((d) => formatDiagnostics([d])) };
    },
    onStopRequest: () => void stop(),
  });
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  await supervisor.start();
  const reload = (why: string) => {
    logger.info({ file: topology.file, why }, 'Reloading the config.');
    supervisor.reload(false).catch((err: unknown) => {
      if (!(err instanceof SluiceError)) throw err;
      logger.error({ err }, 'Reload refused; the agent keeps running as it was.');
    });
  };
  process.on('SIGHUP', () => reload('SIGHUP'));
  if (!cmd.values['no-reload-conf']) watchConfig(topology.file, reloadIntervalMs, logger, () => reload('the file changed'));
  if (cmd.values['exit-after'] !== undefined) {
    setTimeout(() => void stop(), durationFlag(cmd.values, 'exit-after', 1000, 0));
  }
}

/**
 * Polls the config file like Flume (every 30 s by default), by content rather than mtime so an
 * edit within the same second is seen; a file that cannot be read is logged once per outage.
 */
function watchConfig(file: string, intervalMs: number, logger: Logger, onChange: () => void): void {
  const digest = () => createHash('sha256').update(readFileSync(file)).digest('hex');
  let last = digest();
  let unreadable = false;
  setInterval(() => {
    let now: string;
    try {
      now = digest();
      unreadable = false;
    } catch (err) {
      if (!unreadable) logger.error({ err, file }, 'Cannot read the config file; the agent keeps running as it was.');
      unreadable = true;
      return;
    }
    if (now === last) return;
    last = now;
    onChange();
  }, Math.max(100, intervalMs)).unref();
}
