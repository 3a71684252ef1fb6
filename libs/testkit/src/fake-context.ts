import { Counters, type ComponentContext } from '@sluice/core';
import { memoryLogger, type LogRecord } from './memory-logger.js';

export interface FakeContext extends ComponentContext {
  readonly counters: Counters;
  /** What the component logged. */
  readonly records: LogRecord[];
}

/** A component context as the runtime gives one, with a memory logger and fresh counters. */
export function fakeContext(name: string, options: { counters?: readonly string[]; dataDir?: string } = {}): FakeContext {
  const { logger, records } = memoryLogger();
  return { agent: 'a1', name, logger, records, counters: new Counters(options.counters ?? []), dataDir: options.dataDir ?? '/nonexistent' };
}

/** A signal that is never aborted. */
export const NO_ABORT: AbortSignal = new AbortController().signal;
