import pino from 'pino';
import type { Logger } from '@sluice/core';

/** A log line as pino writes it. */
export interface LogRecord {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

/** pino's numeric levels, for assertions on records. */
export const LEVEL = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;

/** A pino logger that keeps every line it writes, parsed, in `records` (synchronously). */
export function memoryLogger(level = 'debug'): { logger: Logger; records: LogRecord[] } {
  const records: LogRecord[] = [];
  const logger: Logger = pino({ level }, { write: (line: string) => void records.push(JSON.parse(line) as LogRecord) });
  return { logger, records };
}

/** The records whose message matches. */
export function logged(records: readonly LogRecord[], msg: RegExp): LogRecord[] {
  return records.filter((r) => msg.test(r.msg));
}
