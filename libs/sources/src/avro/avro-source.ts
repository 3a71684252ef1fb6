import {
  createAvroServer,
  createIpFilter,
  parseIpFilterRules,
  type AppendContext,
  type AvroServer,
  type Status,
} from '@sluice/avro-rpc';
import { Batch, SluiceError, type ErrorCode, type Source, type SourceContext } from '@sluice/core';
import type { AvroSourceConfig } from './avro-source-factory.js';
import { listenWithRetry } from '../listen-retry.js';
import { serverTls } from '../server-tls.js';

/**
 * How long a batch waits for room in a full channel before the source answers FAILED. Short,
 * so that the sender (an avro sink) fails over or retries instead of holding its batch.
 */
export const FULL_WAIT_MS = 1000;

/** How often OpenConnectionCount is refreshed (Flume: every 60 s). */
const CONNECTION_COUNT_INTERVAL_MS = 1000;

/**
 * The avro source: a Flume-compatible AvroSourceProtocol server. Each `appendBatch` (or `append`,
 * a batch of one) is handed to the channels as the bytes that arrived (emitBatch: no decode
 * unless an interceptor or a per-event selector needs the events) and answered OK only once it
 * is committed to every required channel. A channel that stays full for FULL_WAIT_MS, or fails,
 * makes the answer FAILED: nothing of that batch is acknowledged, the sender keeps it and retries
 * or fails over. Refusals are logged once per change of state (then at debug), with counts.
 *
 * One request per connection is served at a time, in order; connections are served concurrently.
 * `stop()` stops accepting, lets each connection finish the request in
 * progress, then closes them.
 */
export class AvroSource implements Source {
  private server: AvroServer | undefined;
  private refresher: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | undefined;
  /** The error code of the current refusal streak, undefined while batches are accepted. */
  private refusing: ErrorCode | undefined;
  private refusedSince = 0;
  private address: { host: string; port: number } | undefined;
  /** Aborted by stop(): ends retrying a busy port. */
  private readonly stopped = new AbortController();

  constructor(
    private readonly config: AvroSourceConfig,
    private readonly ctx: SourceContext,
  ) {}

  /** The bound address (after start): useful with port 0. */
  bound(): { host: string; port: number } {
    if (this.address === undefined) throw new Error('avro source is not listening');
    return this.address;
  }

  /** Binds the port; a busy one is retried in the background (see listenWithRetry). */
  async start(): Promise<void> {
    const { bind, port } = this.config;
    const { logger } = this.ctx;
    const tls = serverTls(this.config);
    const ipFilter = this.config.ipFilter ? createIpFilter(parseIpFilterRules(this.config.ipFilterRules)) : undefined;
    const server = createAvroServer({
      host: bind,
      port,
      compression: this.config['compression-type'] as 'none' | 'deflate',
      tls,
      ipFilter,
      maxConnections: this.config.maxConnections,
      maxBufferedBytes: this.config.maxBufferedBytes,
      logger,
      onAppendBatch: (batch, context) => this.accept(batch, context),
    });
    this.server = server;
    await listenWithRetry(
      async () => {
        this.address = await server.listen();
      },
      { address: `${bind}:${port}`, ctx: this.ctx, signal: this.stopped.signal, onBound: () => this.listening() },
    );
    if (this.config.threads > 0) logger.info({ threads: this.config.threads }, 'threads is accepted for compatibility and unused: one event loop serves every connection');
  }

  private listening(): void {
    const { bind } = this.config;
    this.refresher = setInterval(() => this.refreshCounters(), CONNECTION_COUNT_INTERVAL_MS);
    this.refresher.unref();
    this.ctx.logger.info(
      {
        bind,
        port: this.bound().port,
        compression: this.config['compression-type'],
        ssl: this.config.ssl,
        ipFilter: this.config.ipFilter,
      },
      'avro source listening',
    );
  }

  stop(): Promise<void> {
    this.stopped.abort();
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  /**
   * Flume's OpenConnectionCount, and two Sluice counters from the server: MalformedRequestCount
   * (connections closed for a malformed, truncated, oversized or stalled frame, or answered with
   * an Avro error) and ConnectionDeniedCount (refused by ipFilterRules).
   */
  private refreshCounters(): void {
    const server = this.server;
    if (server === undefined) return;
    const { counters } = this.ctx;
    counters.set('OpenConnectionCount', server.connections);
    counters.set('MalformedRequestCount', server.counters.framesRejected + server.counters.errorResponses);
    counters.set('ConnectionDeniedCount', server.counters.connectionsDenied);
  }

  private async shutdown(): Promise<void> {
    clearInterval(this.refresher);
    const server = this.server;
    if (server === undefined) return;
    await server.close();
    this.refreshCounters();
    this.ctx.logger.info('avro source stopped');
  }

  /** Commits one received batch; the Status to answer. */
  private async accept(bytes: Buffer, context: AppendContext): Promise<Status> {
    const events = context.framing.starts.length;
    this.refreshCounters();
    try {
      await this.ctx.emitBatch(new Batch(bytes, events), { fullWaitMs: FULL_WAIT_MS, single: context.message === 'append' });
    } catch (err) {
      // Anything but a SluiceError is a bug: the server logs it and answers FAILED.
      if (!(err instanceof SluiceError)) throw err;
      this.refused(err, events, context);
      return 'FAILED';
    }
    if (this.refusing !== undefined) {
      this.ctx.logger.info({ refusedForMs: Date.now() - this.refusedSince }, 'The channels take batches again; answering OK.');
      this.refusing = undefined;
    }
    return 'OK';
  }

  /** Logs a refused batch: at warn (error when no retry can help) on a change of state, then at debug. */
  private refused(err: SluiceError, events: number, context: AppendContext): void {
    const fields = { err, events, peer: `${context.peer.address}:${context.peer.port}` };
    if (this.refusing === err.code) {
      this.ctx.logger.debug(fields, 'Batch refused again; answered FAILED.');
      return;
    }
    if (this.refusing === undefined) this.refusedSince = Date.now();
    this.refusing = err.code;
    if (err.retriable) {
      this.ctx.logger.warn(fields, 'The channels did not take a batch; answering FAILED so the sender retries or fails over.');
    } else {
      this.ctx.logger.error(fields, 'The channels cannot take this batch; answering FAILED. The sender will keep retrying it until the cause is fixed.');
    }
  }
}
