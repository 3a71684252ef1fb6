import type { Config, KeySpecs, SinkFactory } from '@sluice/config';
import { BatchCursor, DELIVERED, type Batch, type ComponentContext, type Delivery, type Sink } from '@sluice/core';
import { dumpEvent } from './event-dump.js';

export const LOGGER_KEYS = {
  maxBytesToLog: { format: 'int', default: 16, min: 0, doc: 'Bytes of each body shown in the hex and text preview.' },
  batchSize: {
    format: 'int',
    default: 100,
    min: 1,
    doc: 'Sluice extension: events taken per delivery (Flume logs one event per transaction).',
  },
} as const satisfies KeySpecs;

export type LoggerSinkConfig = Config<typeof LOGGER_KEYS>;

/**
 * Logs each event at info level as Flume does: `Event: { headers:{k=v} body: 48 65 ... He }`.
 * Header values are untrusted: they appear inside the message text, never as log fields.
 */
export class LoggerSink implements Sink {
  readonly batchSize: number;

  constructor(
    private readonly config: LoggerSinkConfig,
    private readonly ctx: ComponentContext,
  ) {
    this.batchSize = config.batchSize;
  }

  async start(): Promise<void> {}

  async deliver(batch: Batch, _signal: AbortSignal): Promise<Delivery> {
    const { logger } = this.ctx;
    // The whole batch is checked first, even when info is off: a malformed batch logs nothing
    // and is never answered ok.
    batch.framing();
    if (logger.isLevelEnabled('info')) {
      const c = new BatchCursor(batch.bytes);
      while (c.next()) logger.info(`Event: ${dumpEvent({ headers: c.headers(), body: c.body }, this.config.maxBytesToLog)}`);
    }
    return DELIVERED;
  }

  async stop(): Promise<void> {}
}

export const loggerSink: SinkFactory<typeof LOGGER_KEYS> = {
  kind: 'sink',
  type: 'logger',
  aliases: ['org.apache.flume.sink.LoggerSink'],
  doc: "Logs every event at info level in Flume's format: headers, then a hex and text preview of the first maxBytesToLog bytes of the body.",
  keys: LOGGER_KEYS,
  batchSizeKey: 'batchSize',
  create(config, ctx) {
    return new LoggerSink(config, ctx);
  },
};
