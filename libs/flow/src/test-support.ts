/**
 * Test support shared by the flow components' unit tests: a fake component context with a
 * pino logger writing to memory, and the defaulted config the runtime would pass.
 * Not exported from the index.
 */
import pino from 'pino';
import { Counters, type ComponentContext, type Logger, type SluiceEvent } from '@sluice/core';

export interface LogRecord {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export function fakeContext(name = 'i1'): ComponentContext & { records: LogRecord[] } {
  const records: LogRecord[] = [];
  const logger: Logger = pino({ level: 'debug' }, { write: (line: string) => void records.push(JSON.parse(line) as LogRecord) });
  return { agent: 'a1', name, logger, records, counters: new Counters(), dataDir: '/nonexistent' };
}

export { configFor } from '@sluice/config/testing';

export function events(...headers: Record<string, string>[]): SluiceEvent[] {
  return headers.map((h, i) => ({ headers: { ...h }, body: Buffer.from(`e${i}`) }));
}
