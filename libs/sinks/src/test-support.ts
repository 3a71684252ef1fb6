/**
 * Test support shared by the sinks' unit tests: a fake component context with the sink counters,
 * the defaulted config the runtime would pass, and batches as the runtime hands them over (encoded
 * bytes from a channel, not yet decoded). Not exported from the index.
 */
import { Batch, encodeBatch, SINK_COUNTERS, type SluiceEvent } from '@sluice/core';
import { fakeContext as kitContext, type FakeContext } from '@sluice/testkit';

export { configFor } from '@sluice/config/testing';
export { NO_ABORT as NO_SIGNAL, waitUntil, type FakeContext, type LogRecord } from '@sluice/testkit';

export function fakeContext(name = 'k1'): FakeContext {
  return kitContext(name, { counters: SINK_COUNTERS });
}

/** A batch as a sink receives it from a channel: encoded bytes, decoded only on demand. */
export function takenBatch(events: readonly SluiceEvent[]): Batch {
  return Batch.fromBytes(Buffer.from(encodeBatch(events)));
}

/** A taken batch of text events with the given bodies and headers. */
export function textBatch(bodies: readonly (string | Buffer)[], headers: Record<string, string> = {}): Batch {
  return takenBatch(bodies.map((b) => ({ headers: { ...headers }, body: typeof b === 'string' ? Buffer.from(b) : b })));
}
