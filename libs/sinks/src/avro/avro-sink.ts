import { performance } from 'node:perf_hooks';
import { createAvroClient, type AvroClient, type ClientTlsOptions, type Status } from '@sluice/avro-rpc';
import { DELIVERED, SluiceError, type Batch, type ComponentContext, type Delivery, type Logger, type Sink } from '@sluice/core';
import type { AvroSinkConfig } from './avro-sink-factory.js';
import { clientTls } from './client-tls.js';

/** Flume's default for both timeouts, also used for configured values under MIN_TIMEOUT_MS. */
export const DEFAULT_TIMEOUT_MS = 20_000;
const MIN_TIMEOUT_MS = 1000;

/** Where the sink stands, for logging once per change: never delivered yet, delivering, failing. */
type State = 'new' | 'delivering' | 'failing';

/**
 * The avro sink: each batch the runtime took is sent, as the channel's bytes (never decoded), in
 * one `appendBatch` call over a Flume-compatible connection; `ok` only when the source answers OK.
 * FAILED, UNKNOWN, an Avro error, a timeout, a refused or dropped connection or an unresolvable
 * name answer `retry` (the batch goes back to the channel; a failover or load_balance group tries
 * another sink). As in Flume, any failure drops the connection: the next batch opens a new one.
 *
 * Calls are sequential (the runtime never overlaps deliveries). `reset-connection-interval`
 * closes a connection that is older than the interval before the next batch, so that long-lived
 * connections spread again over the collectors behind a VIP. Logs once per change of state
 * (connected, failing, delivering again), per-batch detail at debug only.
 */
export class AvroSink implements Sink {
  readonly batchSize: number;
  private readonly logger: Logger;
  private readonly where: string;
  private readonly connectTimeoutMs: number;
  private readonly requestTimeoutMs: number;
  private readonly resetMs: number;
  private client: AvroClient | undefined;
  private state: State = 'new';
  private failures = 0;
  private failingSince = 0;
  /** connectionsCreated at the last look, and when it last changed (monotonic ms). */
  private seenConnections = 0;
  private connectedAt = 0;

  constructor(
    private readonly config: AvroSinkConfig,
    private readonly ctx: ComponentContext,
  ) {
    this.logger = ctx.logger;
    this.batchSize = config['batch-size'];
    this.where = `${config.hostname}:${config.port}`;
    this.connectTimeoutMs = this.timeout('connect-timeout');
    this.requestTimeoutMs = this.timeout('request-timeout');
    this.resetMs = config['reset-connection-interval'] * 1000;
  }

  async start(): Promise<void> {
    const c = this.config;
    let tls: ClientTlsOptions | undefined;
    try {
      tls = clientTls(c);
    } catch (err) {
      if (err instanceof SluiceError) {
        throw new SluiceError(err.code, `avro sink ${this.ctx.name}: ${err.message}`, { cause: err });
      }
      throw err;
    }
    if (c.maxIoWorkers > 0) this.logger.warn({ maxIoWorkers: c.maxIoWorkers }, 'maxIoWorkers is ignored (as in Flume 1.10 and later)');
    this.client = createAvroClient({
      host: c.hostname,
      port: c.port,
      connectTimeoutMs: this.connectTimeoutMs,
      requestTimeoutMs: this.requestTimeoutMs,
      compression: c['compression-type'] as 'none' | 'deflate',
      compressionLevel: c['compression-level'],
      tls,
      logger: this.logger,
    });
    this.logger.info(
      {
        peer: this.where,
        batchSize: this.batchSize,
        compression: c['compression-type'],
        ssl: c.ssl,
        connectTimeoutMs: this.connectTimeoutMs,
        requestTimeoutMs: this.requestTimeoutMs,
        resetConnectionIntervalS: c['reset-connection-interval'],
      },
      'avro sink started',
    );
    // Connect now, as Flume does, so an unreachable collector shows at start; never fatal.
    const client = this.client;
    void client.connect().then(
      () => this.syncCounters(),
      (err: unknown) => {
        this.syncCounters();
        if (err instanceof SluiceError && err.code !== 'SLUICE_ERR_STOPPED') this.failing(err, 0, 'connect');
      },
    );
  }

  async deliver(batch: Batch, signal: AbortSignal): Promise<Delivery> {
    const client = this.client;
    if (client === undefined) throw new Error('avro sink used before start()');
    this.resetIfDue(client);
    let status: Status;
    try {
      status = await client.appendBatch(batch.bytes, { signal });
    } catch (err) {
      this.syncCounters();
      // Only SluiceErrors are expected from the client; anything else is a bug (crash-only).
      if (!(err instanceof SluiceError)) throw err;
      if (signal.aborted) {
        this.logger.debug({ err, events: batch.count }, 'Delivery aborted by the stop.');
        return { status: 'retry', error: err };
      }
      return this.failed(err, batch.count);
    }
    this.syncCounters();
    if (status !== 'OK') {
      // As Flume: a refused batch drops the connection (behind a VIP, the next one may land elsewhere).
      client.reconnect();
      return this.failed(new SluiceError('SLUICE_ERR_DELIVERY', `${this.where} answered ${status}`, { retriable: true }), batch.count);
    }
    if (this.state !== 'delivering') {
      if (this.state === 'failing') {
        this.logger.info({ peer: this.where, failedAttempts: this.failures, failingForMs: Date.now() - this.failingSince }, 'Delivering to the avro source again.');
      } else {
        this.logger.info({ peer: this.where }, 'Connected to the avro source; delivering.');
      }
      this.state = 'delivering';
      this.failures = 0;
    }
    return DELIVERED;
  }

  async stop(): Promise<void> {
    await this.client?.close();
    this.syncCounters();
    this.logger.info({ peer: this.where }, 'avro sink stopped');
  }

  /** A configured timeout, or Flume's default when it is under a second (logged). */
  private timeout(key: 'connect-timeout' | 'request-timeout'): number {
    const value = this.config[key];
    if (value >= MIN_TIMEOUT_MS) return value;
    this.logger.warn({ key, configured: value, used: DEFAULT_TIMEOUT_MS }, `${key} under ${MIN_TIMEOUT_MS} ms: using the default, as Flume does`);
    return DEFAULT_TIMEOUT_MS;
  }

  /** Retires a connection older than reset-connection-interval; the next call opens a new one. */
  private resetIfDue(client: AvroClient): void {
    if (this.resetMs <= 0 || !client.connected) return;
    if (performance.now() - this.connectedAt < this.resetMs) return;
    this.logger.debug({ peer: this.where, intervalS: this.config['reset-connection-interval'] }, 'Resetting the connection (reset-connection-interval).');
    client.reconnect();
  }

  /** Mirrors the client's connection totals into Flume's sink counters. */
  private syncCounters(): void {
    const stats = this.client?.stats;
    if (stats === undefined) return;
    if (stats.connectionsCreated !== this.seenConnections) {
      this.seenConnections = stats.connectionsCreated;
      this.connectedAt = performance.now();
    }
    const { counters } = this.ctx;
    counters.set('ConnectionCreatedCount', stats.connectionsCreated);
    counters.set('ConnectionClosedCount', stats.connectionsClosed);
    counters.set('ConnectionFailedCount', stats.connectionsFailed);
  }

  private failed(err: SluiceError, events: number): Delivery {
    this.failing(err, events);
    return { status: 'retry', error: err };
  }

  /** Logs a failure at warn when the sink starts failing, at debug while it keeps failing. */
  private failing(err: SluiceError, events: number, what: 'deliver' | 'connect' = 'deliver'): void {
    this.failures++;
    const fields = { err, peer: this.where, events };
    if (this.state === 'failing') {
      this.logger.debug(fields, 'Delivery to the avro source failed again.');
      return;
    }
    this.state = 'failing';
    this.failingSince = Date.now();
    this.logger.warn(
      fields,
      what === 'connect'
        ? 'Cannot connect to the avro source; batches wait in the channel until it answers OK.'
        : 'Cannot deliver to the avro source; batches go back to the channel until it answers OK.',
    );
  }
}
