import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Batch, encodeBatch, SluiceError, type Counters, type Delivery, type Sink, type SluiceEvent } from '@sluice/core';
import { NO_ABORT } from './fake-context.js';

/** A sink under test, started, with what the contract needs to look at. */
export interface SinkUnderTest {
  readonly sink: Sink;
  /** The counters of the context it was created with. */
  readonly counters: Counters;
  /**
   * The bodies the sink has made safe downstream so far, in order (a file's lines, a log's
   * events); undefined for a sink whose output cannot be observed (null).
   */
  readonly delivered?: () => Promise<string[]>;
  /** Removes what the test made (directories, servers). */
  readonly cleanup?: () => Promise<void>;
}

export interface SinkContractOptions {
  /** A new, started sink. */
  readonly make: () => Promise<SinkUnderTest>;
  /** True for a sink that reads the events of a batch; false for one that forwards or discards its bytes. */
  readonly decodes: boolean;
}

/** Flume's delivery counters: the runtime's to count, never the sink's. */
const RUNTIME_COUNTERS = ['EventDrainAttemptCount', 'EventDrainSuccessCount', 'BatchCompleteCount', 'BatchUnderflowCount', 'BatchEmptyCount', 'EventWriteFail'];

function batchOf(bodies: readonly string[]): Batch {
  const events: SluiceEvent[] = bodies.map((b) => ({ headers: { contract: 'yes' }, body: Buffer.from(b) }));
  return Batch.fromBytes(encodeBatch(events));
}

function assertOutcome(d: Delivery): void {
  assert.ok(d.status === 'ok' || ((d.status === 'retry' || d.status === 'reject') && d.error instanceof Error), `not an outcome: ${JSON.stringify(d)}`);
}

/**
 * The rules every sink keeps (docs/component-spec.md, "Sinks"): it answers an outcome; what it
 * answers `ok` for is safe downstream, in order, once; it keeps none of the runtime's delivery
 * counters; a sink that decodes lets SLUICE_ERR_MALFORMED_BATCH out for bytes that are not events
 * and never answers `ok` for them; `stop` may be called twice.
 */
export function describeSinkContract(name: string, options: SinkContractOptions): void {
  describe(`${name} sink contract`, () => {
    test('answers ok for batches it made safe, in order, each once', async () => {
      const s = await options.make();
      try {
        assert.ok(Number.isSafeInteger(s.sink.batchSize) && s.sink.batchSize > 0, 'batchSize is a positive integer');
        const sent: string[] = [];
        for (let b = 0; b < 5; b++) {
          const bodies = Array.from({ length: 20 }, (_, i) => `contract ${b * 20 + i}`);
          const d = await s.sink.deliver(batchOf(bodies), NO_ABORT);
          assertOutcome(d);
          assert.equal(d.status, 'ok');
          sent.push(...bodies);
        }
        if (s.delivered) assert.deepEqual(await s.delivered(), sent);
        for (const c of RUNTIME_COUNTERS) assert.equal(s.counters.get(c), 0, `${c} is the runtime's to count`);
      } finally {
        await s.sink.stop();
        await s.cleanup?.();
      }
    });

    // Only for a sink that reads events: one that forwards or discards bytes cannot tell.
    if (options.decodes) {
      test('a batch whose bytes are not events is never answered ok', async () => {
        const s = await options.make();
        try {
          const garbage = new Batch(Buffer.from([0x06, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]), 3);
          let outcome: Delivery | undefined;
          try {
            outcome = await s.sink.deliver(garbage, NO_ABORT);
          } catch (err) {
            assert.ok(err instanceof SluiceError && err.code === 'SLUICE_ERR_MALFORMED_BATCH', `only the codec's error may leave deliver: ${String(err)}`);
          }
          if (outcome !== undefined) assert.notEqual(outcome.status, 'ok');
          if (s.delivered) assert.deepEqual(await s.delivered(), []);
        } finally {
          await s.sink.stop();
          await s.cleanup?.();
        }
      });
    }

    test('stop may be called twice', async () => {
      const s = await options.make();
      try {
        assertOutcome(await s.sink.deliver(batchOf(['one']), NO_ABORT));
        await s.sink.stop();
        await s.sink.stop();
      } finally {
        await s.cleanup?.();
      }
    });
  });
}
