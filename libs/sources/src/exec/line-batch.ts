import { Batch, BatchBuilder, decodeBatch, type SluiceEvent } from '@sluice/core';
import type { LineSink } from './line-splitter.js';

/**
 * Encodes lines straight into the bytes of a batch, each an event with no headers and the line
 * as its body (core's BatchBuilder: the bytes encodeBatch writes, without building events), and
 * cuts the batch when it holds `batchSize` lines.
 */
export class LineBatchEncoder implements LineSink {
  private readonly builder = new BatchBuilder();

  /** `onFull` is called (from `line`) when the batch holds `batchSize` lines. */
  constructor(
    private readonly batchSize: number,
    private readonly onFull: () => void,
  ) {}

  /** Lines in the batch being built. */
  get count(): number {
    return this.builder.count;
  }

  chunk(): void {
    this.builder.release();
  }

  line(bytes: Buffer, start: number, end: number): void {
    this.builder.append(bytes, start, end);
    if (this.builder.count >= this.batchSize) this.onFull();
  }

  /** Cuts the batch built so far; undefined if it has no line. */
  take(): Batch | undefined {
    const count = this.builder.count;
    if (count === 0) return undefined;
    return new LineBatch(this.builder.finish(), count);
  }
}

/**
 * A batch of lines: when a component needs its events (an interceptor, a per-event selector),
 * they are read back from its bytes directly, each body a view of them.
 */
class LineBatch extends Batch {
  private lineEvents: SluiceEvent[] | undefined;

  override events(): readonly SluiceEvent[] {
    return (this.lineEvents ??= decodeBatch(this.bytes));
  }
}
