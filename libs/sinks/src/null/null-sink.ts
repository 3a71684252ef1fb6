import type { Config, KeySpecs, SinkFactory } from '@sluice/config';
import { DELIVERED, type Batch, type ComponentContext, type Delivery, type Sink } from '@sluice/core';

export const NULL_KEYS = {
  batchSize: { format: 'int', default: 100, min: 1, doc: 'Events taken per delivery.' },
  logEveryNEvents: {
    format: 'int',
    default: 10000,
    min: 1,
    doc: 'Log the running event count at info level each time it passes a multiple of this.',
  },
} as const satisfies KeySpecs;

export type NullSinkConfig = Config<typeof NULL_KEYS>;

/** Counts and discards: the batch is never decoded. */
export class NullSink implements Sink {
  readonly batchSize: number;
  private total = 0;

  constructor(
    private readonly config: NullSinkConfig,
    private readonly ctx: ComponentContext,
  ) {
    this.batchSize = config.batchSize;
  }

  async start(): Promise<void> {}

  async deliver(batch: Batch, _signal: AbortSignal): Promise<Delivery> {
    const every = this.config.logEveryNEvents;
    const before = this.total;
    this.total += batch.count;
    if (Math.floor(this.total / every) > Math.floor(before / every)) {
      this.ctx.logger.info({ events: this.total }, 'null sink processed events');
    }
    return DELIVERED;
  }

  async stop(): Promise<void> {}
}

export const nullSink: SinkFactory<typeof NULL_KEYS> = {
  kind: 'sink',
  type: 'null',
  aliases: ['org.apache.flume.sink.NullSink'],
  doc: 'Discards every event (counting them); for tests and benchmarks.',
  keys: NULL_KEYS,
  batchSizeKey: 'batchSize',
  create(config, ctx) {
    return new NullSink(config, ctx);
  },
};
