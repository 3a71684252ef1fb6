/**
 * Test support shared by the sinks' unit tests: a fake component context with a pino logger
 * writing to memory, the defaulted config the runtime would pass, and batches as the runtime
 * hands them over (encoded bytes from a channel, not yet decoded). Not exported from the index.
 */
import pino from 'pino';
import { Batch, Counters, encodeBatch, SINK_COUNTERS, type ComponentContext, type Logger, type SluiceEvent } from '@sluice/core';

export interface LogRecord {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export interface FakeContext extends ComponentContext {
  readonly counters: Counters;
  readonly records: LogRecord[];
}

export function fakeContext(name = 'k1'): FakeContext {
  const records: LogRecord[] = [];
  const logger: Logger = pino({ level: 'debug' }, { write: (line: string) => void records.push(JSON.parse(line) as LogRecord) });
  return { agent: 'a1', name, logger, records, counters: new Counters(SINK_COUNTERS), dataDir: '/nonexistent' };
}

export { configFor } from '@sluice/config/testing';

/** A batch as a sink receives it from a channel: encoded bytes, decoded only on demand. */
export function takenBatch(events: readonly SluiceEvent[]): Batch {
  return Batch.fromBytes(Buffer.from(encodeBatch(events)));
}

/** A taken batch of text events with the given bodies and headers. */
export function textBatch(bodies: readonly (string | Buffer)[], headers: Record<string, string> = {}): Batch {
  return takenBatch(bodies.map((b) => ({ headers: { ...headers }, body: typeof b === 'string' ? Buffer.from(b) : b })));
}

export const NO_SIGNAL: AbortSignal = new AbortController().signal;

/** Polls `predicate` every 5 ms until it holds; rejects after `timeoutMs` with `what` in the message. */
export async function waitUntil(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
