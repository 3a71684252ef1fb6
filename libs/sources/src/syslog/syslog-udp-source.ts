import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { isIPv6 } from 'node:net';
import { RateLimitedWarn, type SluiceEvent, type Source, type SourceContext } from '@sluice/core';
import { listenWithRetry } from '../listen-retry.js';
import { clientHostname, plainAddress, type ClientHeaderNames } from './client-headers.js';
import type { KeepFields } from './keep-fields.js';
import { parseSyslogMessage } from './syslog-message.js';

/** Client host names remembered at most; past it they are all forgotten. */
const HOSTNAME_CACHE_SIZE = 1024;
/** Counter of the datagrams dropped because the channels were full (Flume's UDP source loses them too). */
export const DROPPED_DATAGRAMS_COUNTER = 'DatagramDroppedCount';

export interface SyslogUdpSourceOptions extends ClientHeaderNames {
  readonly host: string;
  readonly port: number;
  readonly keepFields: KeepFields;
  readonly batchSize: number;
}

/**
 * Flume's syslogudp: each datagram is one syslog message (one trailing `\n` dropped), parsed as
 * parseSyslogMessage does. Datagrams that arrive in one turn of the event loop are emitted
 * together, `batchSize` at most per batch; while the runtime is not writable they wait in that
 * one batch. UDP cannot be slowed: a datagram that finds the batch full is dropped and counted
 * (DatagramDroppedCount), with a warn at most once a minute; nothing else is queued.
 */
export class SyslogUdpSource implements Source {
  private socket: Socket | undefined;
  private batch: SluiceEvent[] = [];
  private flushScheduled = false;
  /** Host name lookups the batch in progress waits for. */
  private readonly lookups = new Set<Promise<void>>();
  private readonly hostnames = new Map<string, Promise<string>>();
  private readonly dropped = new RateLimitedWarn();
  private readonly refused = new RateLimitedWarn();
  private readonly stopped = new AbortController();
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly opts: SyslogUdpSourceOptions,
    private readonly ctx: SourceContext,
  ) {}

  /** The bound address (after start): useful with port 0. */
  address(): AddressInfo {
    if (this.socket === undefined) throw new Error('syslog UDP source is not listening');
    return this.socket.address();
  }

  async start(): Promise<void> {
    const { host, port } = this.opts;
    await listenWithRetry(() => this.bind(), {
      address: `${host}:${port}`,
      ctx: this.ctx,
      signal: this.stopped.signal,
      onBound: () => this.ctx.logger.info({ host, port: this.address().port }, 'syslog UDP source listening'),
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
        socket.on('error', (err) => this.ctx.logger.error({ err }, 'syslog UDP socket error'));
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
    this.ctx.logger.info('syslog UDP source stopped');
  }

  private onMessage(datagram: Buffer, rinfo: RemoteInfo): void {
    if (this.stopping !== undefined) return;
    // The batch in progress is the only buffer: full, it means the channels have not kept up.
    if (this.batch.length >= this.opts.batchSize) {
      this.drop();
      return;
    }
    const message = datagram.length > 0 && datagram[datagram.length - 1] === 0x0a ? datagram.subarray(0, -1) : datagram;
    const event = parseSyslogMessage(message, false, { keepFields: this.opts.keepFields, now: Date.now() });
    const address = plainAddress(rinfo.address);
    if (this.opts.clientIPHeader !== '') event.headers[this.opts.clientIPHeader] = address;
    this.batch.push(event);
    if (this.opts.clientHostnameHeader !== '') {
      // The datagram keeps its place in the batch while its client's name is looked up.
      const lookup = this.hostname(address).then((name) => {
        event.headers[this.opts.clientHostnameHeader] = name;
      });
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
      this.ctx.logger.warn({ suppressed: report.suppressed }, 'The channels are full: syslog datagrams are dropped.');
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
        this.ctx.logger.warn({ err, events: events.length, suppressed: report.suppressed }, 'The channels refused a batch of syslog datagrams; it is lost.');
      }
    });
  }

  private hostname(address: string): Promise<string> {
    let name = this.hostnames.get(address);
    if (name === undefined) {
      if (this.hostnames.size >= HOSTNAME_CACHE_SIZE) this.hostnames.clear();
      name = clientHostname(address);
      this.hostnames.set(address, name);
    }
    return name;
  }
}
