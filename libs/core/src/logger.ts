import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

export type LogFormat = 'json' | 'pretty';

export interface LoggerOptions {
  level?: string;
  format?: LogFormat;
  /** Fields bound to every line: agent, kind, component, pid. */
  bindings?: Record<string, unknown>;
}

/**
 * One root logger per process. JSON on stdout by default; `pretty` goes through pino-pretty.
 * Errors go under `err`. Event headers are untrusted: never bind them.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env['SLUICE_LOG_LEVEL'] ?? 'info';
  const base = { pid: process.pid, ...options.bindings };
  if (options.format === 'pretty') {
    return pino({ level, base }, pino.transport({ target: 'pino-pretty', options: { colorize: process.stdout.isTTY, sync: true } }));
  }
  return pino({ level, base });
}
