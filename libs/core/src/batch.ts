import { decodeBatch, encodeBatch, frameBatch, type BatchFraming } from './batch-codec.js';
import type { SluiceEvent } from './event.js';

/**
 * An encoded batch with its event count; decoded at most once, and only when a component asks
 * for the events. Sinks that forward bytes (avro) never decode.
 */
export class Batch {
  private decoded: readonly SluiceEvent[] | undefined;
  private framed: BatchFraming | undefined;

  constructor(
    readonly bytes: Buffer,
    readonly count: number,
  ) {}

  static of(events: readonly SluiceEvent[]): Batch {
    const batch = new Batch(encodeBatch(events), events.length);
    batch.decoded = events;
    return batch;
  }

  /** Validates the framing of bytes received from outside and counts their events. */
  static fromBytes(bytes: Buffer): Batch {
    const framing = frameBatch(bytes);
    const batch = new Batch(bytes, framing.starts.length);
    batch.framed = framing;
    return batch;
  }

  events(): readonly SluiceEvent[] {
    return (this.decoded ??= decodeBatch(this.bytes));
  }

  framing(): BatchFraming {
    return (this.framed ??= frameBatch(this.bytes));
  }
}
