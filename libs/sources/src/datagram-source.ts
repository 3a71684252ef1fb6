import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { isIPv6 } from 'node:net';
import { RateLimitedWarn, type SluiceEvent, type Source, type SourceContext } from '@sluice/core';
import { listenWithRetry } from './listen-retry.js';
import { plainAddress } from './peer-address.js';

/** Counter of the datagrams dropped because the channels were full (Flume's UDP sources lose them too). */
export const DROPPED_DATAGRAMS_COUNTER = 'DatagramDroppedCount';

export interface DatagramSourceOptions {
  readonly host: string;
  readonly port: number;
  readonly batchSize: number;
  /** What the logs call the source, e.g. `syslog UDP`. */
  readonly what: string;
  /** The event of one datagram from `address` (an IPv4-mapped IPv6 address given as IPv4). */
  readonly toEvent: (datagram: Buffer, address: string) => SluiceEvent;
  /** Work the event waits for before its batch is emitted (a host name lookup), if any. */
  readonly enrich?: (event: SluiceEvent, address: string) => Promise<void> | undefined;
}

/**
 * A UDP source: each datagram is one event (`toEvent`). Datagrams that arrive in one turn of the
 * event loop are emitted together, `batchSize` at most per batch; while the runtime is not
 * writable they wait in that one batch. UDP cannot be slowed: a datagram that finds the batch full
 * is dropped and counted (DatagramDroppedCount), with a warn at most once a minute; nothing else is
 * queued.
 */
export class DatagramSource implements Source {
  private socket: Socket | undefined;
  private batch: SluiceEvent[] = [];
  private flushScheduled = false;
  /** Host name lookups the batch in progress waits for. */
  private readonly lookups = new Set<Promise<void>>();
  private readonly dropped = new RateLimitedWarn();
  private readonly refused = new RateLimitedWarn();
  private readonly stopped = new AbortController();
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly opts: DatagramSourceOptions,
    private readonly ctx: SourceContext,
  ) {}

  /** The bound address (after start): useful with port 0. */
  address(): AddressInfo {
    if (this.socket === undefined) throw new Error(`${this.opts.what} source is not listening`);
    return this.socket.address();
  }

  async start(): Promise<void> {
    const { host, port } = this.opts;
    await listenWithRetry(() => this.bind(), {
      address: `${host}:${port}`,
      ctx: this.ctx,
      signal: this.stopped.signal,
      onBound: () => this.ctx.logger.info({ host, port: this.address().port }, `${this.opts.what} source listening`),
    });
  }

  stop(): Promise<void> {
    this.stopped.abort();
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private bind(): Promise<void> {
    const { host, port } = this.opts;
    const socket = createSocket({ type: isIPv6(host) || host === '::' ? 'udp6' : 'udp4' });
    return new Promise<void>((resolve, reject) => {
      socket.once('error', (err) => {
        socket.close();
        reject(err);
      });
      socket.bind({ address: host, port }, () => {
        socket.removeAllListeners('error');
        if (this.stopped.signal.aborted) {
          // Bound on a retry that finished after stop(): nothing will read it.
          socket.close();
          resolve();
          return;
        }
        socket.on('error', (err) => this.ctx.logger.error({ err }, `${this.opts.what} socket error`));
        socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
        this.socket = socket;
        resolve();
      });
    });
  }

  private async shutdown(): Promise<void> {
    const socket = this.socket;
    if (socket !== undefined) await new Promise<void>((resolve) => socket.close(() => resolve()));
    await Promise.all(this.lookups);
    this.flush();
    this.ctx.logger.info(`${this.opts.what} source stopped`);
  }

  private onMessage(datagram: Buffer, rinfo: RemoteInfo): void {
    if (this.stopping !== undefined) return;
    // The batch in progress is the only buffer: full, it means the channels have not kept up.
    if (this.batch.length >= this.opts.batchSize) {
      this.drop();
      return;
    }
    const address = plainAddress(rinfo.address);
    const event = this.opts.toEvent(datagram, address);
    this.batch.push(event);
    const lookup = this.opts.enrich?.(event, address);
    if (lookup !== undefined) {
      // The datagram keeps its place in the batch while it waits.
      this.lookups.add(lookup);
      void lookup.then(() => {
        this.lookups.delete(lookup);
        if (this.lookups.size === 0) this.scheduleFlush();
      });
      return;
    }
    if (this.batch.length >= this.opts.batchSize && this.ctx.writable()) this.flush();
    else this.scheduleFlush();
  }

  private drop(): void {
    this.ctx.counters.inc(DROPPED_DATAGRAMS_COUNTER);
    const report = this.dropped.report('full');
    if (report.level === 'warn') {
      this.ctx.logger.warn({ suppressed: report.suppressed }, `The channels are full: ${this.opts.what} datagrams are dropped.`);
    }
  }

  /** Emits the batch in progress after this turn of the event loop, once its names are known and the runtime is writable. */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    const run = (): void => {
      if (this.lookups.size > 0) {
        // The last lookup to finish schedules the flush again.
        this.flushScheduled = false;
        return;
      }
      if (!this.ctx.writable() && this.stopping === undefined) {
        void this.ctx.whenWritable().then(run);
        return;
      }
      this.flushScheduled = false;
      this.flush();
    };
    setImmediate(run);
  }

  private flush(): void {
    const events = this.batch;
    if (events.length === 0) return;
    this.batch = [];
    this.ctx.emit(events).catch((err: unknown) => {
      const report = this.refused.report('refused');
      if (report.level === 'warn') {
        this.ctx.logger.warn({ err, events: events.length, suppressed: report.suppressed }, `The channels refused a batch of ${this.opts.what} datagrams; it is lost.`);
      }
    });
  }
}
