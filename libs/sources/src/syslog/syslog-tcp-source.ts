import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { ServerTlsOptions } from '@sluice/avro-rpc';
import { ConnectionSlots, RateLimitedWarn, type Source, type SourceContext } from '@sluice/core';
import { listenOnce, listenWithRetry } from '../listen-retry.js';
import { trackConnection } from '../track-connection.js';
import { clientHeaders, plainAddress, type ClientHeaderNames } from './client-headers.js';
import type { KeepFields } from './keep-fields.js';
import { SyslogTcpConnection } from './syslog-tcp-connection.js';
import { parseSyslogMessage } from './syslog-message.js';

export interface SyslogTcpSourceOptions extends ClientHeaderNames {
  readonly host: string;
  /** The ports to listen on (one for syslogtcp). */
  readonly ports: readonly number[];
  readonly eventSize: number;
  readonly keepFields: KeepFields;
  /** The header naming the port a message came in on; empty: none. */
  readonly portHeader: string;
  readonly batchSize: number;
  readonly maxConnections: number;
  /** TLS material: undefined for plain TCP. */
  readonly tls: ServerTlsOptions | undefined;
}

/** How long a client may take to finish its TLS handshake before it is disconnected. */
const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * A syslog receiver over TCP on one or more ports (syslogtcp, multiport_syslogtcp): every
 * message of every connection becomes an event (see parseSyslogMessage), framed per
 * SyslogFramer and read under SyslogTcpConnection's back-pressure. Busy ports are retried until
 * free. `stop()` closes the ports and the connections at once.
 */
export class SyslogTcpSource implements Source {
  private readonly servers: Server[] = [];
  private readonly connections: ConnectionSlots<SyslogTcpConnection>;
  private readonly refused = new RateLimitedWarn();
  private readonly stopped = new AbortController();
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly opts: SyslogTcpSourceOptions,
    private readonly ctx: SourceContext,
  ) {
    this.connections = new ConnectionSlots(opts.maxConnections, ctx.logger);
  }

  /** The bound addresses (after start), in the order of the ports: useful with port 0. */
  addresses(): AddressInfo[] {
    return this.servers.map((server) => {
      const addr = server.address();
      if (addr === null || typeof addr === 'string') throw new Error('syslog source is not listening');
      return addr;
    });
  }

  async start(): Promise<void> {
    await Promise.all(this.opts.ports.map((port) => this.listen(port)));
  }

  stop(): Promise<void> {
    this.stopped.abort();
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async listen(port: number): Promise<void> {
    const { host } = this.opts;
    const onConnection = (socket: Socket): void => this.accept(socket, server);
    const tls = this.opts.tls;
    const server: Server =
      tls === undefined
        ? createServer({ noDelay: true }, onConnection)
        : createTlsServer({ ...tls, noDelay: true, handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS }, onConnection);
    if (tls !== undefined) server.on('tlsClientError', (err) => this.ctx.logger.debug({ err }, 'TLS handshake failed'));
    this.servers.push(server);
    await listenWithRetry(() => listenOnce(server, host, port), {
      address: `${host}:${port}`,
      ctx: this.ctx,
      signal: this.stopped.signal,
      onBound: () => {
        server.on('error', (err) => this.ctx.logger.error({ err }, 'syslog server error'));
        this.ctx.logger.info({ host, port: (server.address() as AddressInfo).port, tls: tls !== undefined }, 'syslog TCP source listening');
      },
    });
  }

  private async shutdown(): Promise<void> {
    const closed = this.servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve())));
    const connections = [...this.connections];
    for (const connection of connections) connection.destroy();
    await Promise.all([...closed, ...connections.map((c) => c.closed)]);
    this.ctx.logger.info('syslog TCP source stopped');
  }

  private accept(socket: Socket, server: Server): void {
    const { counters } = this.ctx;
    if (this.stopping !== undefined || this.connections.admit() === 'refused') {
      socket.destroy();
      return;
    }
    const address = plainAddress(socket.remoteAddress);
    const logger = this.ctx.logger.child({ peer: `${address}:${socket.remotePort}` });
    const fixed: Record<string, string> = {};
    if (this.opts.portHeader !== '') fixed[this.opts.portHeader] = String((server.address() as AddressInfo).port);
    const ready = clientHeaders(this.opts, address).then((headers) => Object.assign(fixed, headers));
    const connection = new SyslogTcpConnection(socket, {
      eventSize: this.opts.eventSize,
      batchSize: this.opts.batchSize,
      toEvent: (frame) => {
        const event = parseSyslogMessage(frame.bytes, frame.cut, { keepFields: this.opts.keepFields, now: Date.now() });
        Object.assign(event.headers, fixed);
        return event;
      },
      ready: ready.then(() => undefined),
      ctx: this.ctx,
      refused: this.refused,
      logger,
    });
    trackConnection(this.connections, connection, counters, logger);
  }
}
