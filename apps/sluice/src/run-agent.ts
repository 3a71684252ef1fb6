import { resolve } from 'node:path';
import { createLogger, SluiceError, type LogFormat } from '@sluice/core';
import { formatDiagnostics, loadAgentConfig } from '@sluice/config';
import { DEFAULT_RESTART_POLICY, DEFAULT_TUNING, defaultDataDir, defaultRegistry, defaultRunDir, Supervisor } from '@sluice/runtime';
import { durationFlag, type ParsedCommand } from './cli-args.js';

/** Loads and validates the config, printing every diagnostic; exits 1 on any error. */
export function load(cmd: ParsedCommand) {
  const file = String(cmd.values['conf-file']);
  const result = loadAgentConfig({ file, agent: String(cmd.values['name']), registry: defaultRegistry(), strict: Boolean(cmd.values['strict']) });
  if (result.diagnostics.length > 0) process.stderr.write(formatDiagnostics(result.diagnostics) + '\n');
  if (!result.topology) {
    const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
    process.stderr.write(`${file}: ${errors} error(s); nothing was started.\n`);
    process.exit(1);
  }
  return result.topology;
}

export async function runAgent(cmd: ParsedCommand): Promise<void> {
  const agent = String(cmd.values['name']);
  const format = (cmd.values['log-format'] ?? (process.stdout.isTTY ? 'pretty' : 'json')) as LogFormat;
  if (format !== 'json' && format !== 'pretty') throw new SluiceError('SLUICE_ERR_USAGE', '--log-format must be json or pretty');
  if (typeof cmd.values['log-level'] === 'string') process.env['SLUICE_LOG_LEVEL'] = cmd.values['log-level'];
  const logger = createLogger({ format, bindings: { agent, kind: 'supervisor' } });
  for (const note of cmd.notes) logger.info(note);
  if (cmd.defines['flume.monitoring.type']) {
    logger.warn({ monitoring: cmd.defines['flume.monitoring.type'] }, 'HTTP monitoring is not built yet: read RUN_DIR/status.json for the counters.');
  }
  const topology = load(cmd);
  const supervisor = new Supervisor({
    topology,
    runDir: resolve(String(cmd.values['run-dir'] ?? defaultRunDir(agent))),
    dataDir: resolve(String(cmd.values['data-dir'] ?? defaultDataDir(agent))),
    logger,
    logFormat: format,
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
  });
  const stop = async () => {
    await supervisor.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  await supervisor.start();
  if (cmd.values['exit-after'] !== undefined) {
    setTimeout(() => void stop(), durationFlag(cmd.values, 'exit-after', 1000, 0));
  }
}

