import type { Config, KeySpecs, SourceFactory } from '@sluice/config';
import type { Logger, SluiceEvent, Source, SourceContext } from '@sluice/core';
import { EmitPipeline } from '../emit-pipeline.js';

/** Emits kept outstanding (the runtime's DEFAULT_TUNING.window): the benchmark's driver must hide the round trips. */
export const MAX_IN_FLIGHT = 8;

export const SEQ_KEYS = {
  batchSize: {
    format: 'int',
    default: 1,
    min: 1,
    doc: "Events per batch. Flume's default of 1 makes one channel transaction per event; use 100–1000 for throughput.",
  },
  totalEvents: {
    format: 'int',
    default: Number.MAX_SAFE_INTEGER,
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
    doc: 'Events to generate before stopping (Flume: Long.MAX_VALUE; Sluice: 2^53-1).',
  },
} as const satisfies KeySpecs;

export type SeqConfig = Config<typeof SEQ_KEYS>;

/** Builds the events numbered [first, first + count): bodies are decimal strings, views of one buffer. */
export function sequenceBatch(first: number, count: number): SluiceEvent[] {
  const ends = new Array<number>(count);
  let text = '';
  for (let i = 0; i < count; i++) {
    text += first + i;
    ends[i] = text.length;
  }
  const slab = Buffer.from(text, 'latin1');
  const events = new Array<SluiceEvent>(count);
  let start = 0;
  for (let i = 0; i < count; i++) {
    events[i] = { headers: {}, body: slab.subarray(start, ends[i]) };
    start = ends[i]!;
  }
  return events;
}

/**
 * The sequence generator: bodies `0`, `1`, `2`... in batches of `batchSize`, emitted back to back
 * with up to 4 emits outstanding, until `totalEvents`. A batch refused with FULL is re-emitted
 * with the same numbers after `retryAfterMs`: no gap, no duplicate from the source's side.
 */
export class SeqSource implements Source {
  private readonly logger: Logger;
  private readonly pipeline: EmitPipeline;
  private next = 0;
  private stopped = false;
  private finished: Promise<void> | undefined;
  private fillScheduled = false;

  constructor(
    private readonly config: SeqConfig,
    private readonly ctx: SourceContext,
  ) {
    this.logger = ctx.logger;
    this.pipeline = new EmitPipeline({
      emit: ctx.emit,
      logger: ctx.logger,
      counters: ctx.counters,
      maxInFlight: MAX_IN_FLIGHT,
      onProgress: () => this.scheduleFill(),
    });
  }

  async start(): Promise<void> {
    this.ctx.signal.addEventListener('abort', () => void this.stop(), { once: true });
    this.logger.info({ batchSize: this.config.batchSize, totalEvents: this.config.totalEvents }, 'sequence generator started');
    this.fill();
  }

  stop(): Promise<void> {
    this.stopped = true;
    this.finished ??= this.pipeline.close().then(() => {
      this.logger.info({ generated: this.next }, 'sequence generator stopped');
    });
    return this.finished;
  }

  /** Refills from a macrotask, so a channel that commits at once cannot starve the event loop. */
  private scheduleFill(): void {
    if (this.fillScheduled) return;
    this.fillScheduled = true;
    setImmediate(() => {
      this.fillScheduled = false;
      this.fill();
    });
  }

  /** Keeps the pipeline fed: one batch queued behind the ones in flight. */
  private fill(): void {
    const { batchSize, totalEvents } = this.config;
    while (!this.stopped && this.next < totalEvents && this.pipeline.backlog <= MAX_IN_FLIGHT && !this.pipeline.retrying) {
      const count = Math.min(batchSize, totalEvents - this.next);
      const first = this.next;
      this.next += count;
      this.pipeline.push(sequenceBatch(first, count));
    }
    if (this.next >= totalEvents && this.pipeline.backlog === 0 && this.finished === undefined) {
      this.finished = Promise.resolve();
      this.logger.info({ generated: this.next }, 'sequence generator reached totalEvents');
    }
  }
}

export const seqSource: SourceFactory<typeof SEQ_KEYS> = {
  kind: 'source',
  type: 'seq',
  aliases: ['org.apache.flume.source.SequenceGeneratorSource'],
  doc: 'Generates events whose bodies are a decimal counter from 0, for tests and benchmarks. Stops after totalEvents.',
  keys: SEQ_KEYS,
  batchSizeKey: 'batchSize',
  create(config, ctx) {
    return new SeqSource(config, ctx);
  },
};
