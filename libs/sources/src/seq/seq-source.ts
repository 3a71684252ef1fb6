import type { Config, KeySpecs, SourceFactory } from '@sluice/config';
import type { Source, SourceContext } from '@sluice/core';
import { sequenceBatch } from './sequence-batch.js';

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

/**
 * The sequence generator: bodies `0`, `1`, `2`... in batches of `batchSize`, emitted while the
 * runtime is writable, until `totalEvents`. The runtime commits them in order, retrying FULL.
 */
export class SeqSource implements Source {
  private next = 0;
  private stopped = false;

  constructor(
    private readonly config: SeqConfig,
    private readonly ctx: SourceContext,
  ) {}

  async start(): Promise<void> {
    this.ctx.logger.info({ batchSize: this.config.batchSize, totalEvents: this.config.totalEvents }, 'sequence generator started');
    void this.generate();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.ctx.logger.info({ generated: this.next }, 'sequence generator stopped');
  }

  private async generate(): Promise<void> {
    const { batchSize, totalEvents } = this.config;
    while (this.next < totalEvents) {
      await this.ctx.whenWritable();
      if (this.stopped) return;
      while (this.next < totalEvents && this.ctx.writable()) {
        const count = Math.min(batchSize, totalEvents - this.next);
        this.ctx.emit(sequenceBatch(this.next, count)).catch((err: unknown) => this.ctx.logger.error({ err, events: count }, 'A batch was not committed; its events are lost.'));
        this.next += count;
      }
      // A macrotask between fills: a channel that commits at once cannot starve the event loop.
      await new Promise(setImmediate);
    }
    this.ctx.logger.info({ generated: this.next }, 'sequence generator reached totalEvents');
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
