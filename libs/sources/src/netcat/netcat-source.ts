import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Config, KeySpecs, SourceFactory } from '@sluice/config';
import { ConnectionSlots, type Source, type SourceContext } from '@sluice/core';
import { charsetError } from '../charset.js';
import { listenOnce, listenWithRetry } from '../listen-retry.js';
import { trackConnection } from '../track-connection.js';
import { NetcatConnection } from './netcat-connection.js';

/** How long a stopping connection waits for its batch to commit, then for the client to close. */
const STOP_GRACE_MS = 1000;

export const NETCAT_KEYS = {
  bind: { format: 'host', default: undefined, doc: 'Host name or IP address to listen on.' },
  port: { format: 'port', default: undefined, doc: 'TCP port to listen on.' },
  'max-line-length': {
    format: 'int',
    default: 512,
    min: 1,
    doc: 'Maximum characters per line, including the newline. A longer line is answered `FAILED: ...` and skipped.',
  },
  'ack-every-event': { format: 'bool', default: true, doc: 'Answer `OK` for each line once it is committed to the channels.' },
  encoding: {
    format: 'string',
    default: 'utf-8',
    doc: 'Charset of the input, used to count characters for max-line-length. Bodies are the bytes received, unchanged.',
  },
  maxConnections: {
    format: 'int',
    default: 1000,
    min: 1,
    doc: "Sluice extension: most connections open at once. A new one past it takes the place of the connection quiet longest (idle, or stalled inside a request); while every one has a request being committed, it is refused. Keep it below the worker's file descriptor limit.",
  },
  batchSize: {
    format: 'int',
    default: 100,
    min: 1,
    doc: 'Sluice extension: most lines of one read committed in one batch (Flume commits each line alone). Keep it within the channel transactionCapacity.',
  },
} as const satisfies KeySpecs;

export type NetcatConfig = Config<typeof NETCAT_KEYS>;

/**
 * The netcat source: a TCP server turning each `\n`-terminated line into an event and answering
 * `OK` per line only once the line is committed. A busy port is retried until it is free. When
 * the channels are full it stops reading the connection and retries (the client is slowed, never
 * answered FAILED for it). `stop()` closes the port and the connections
 * within about two seconds; lines not answered by then are left for the client to resend.
 */
export class NetcatSource implements Source {
  private server: Server | undefined;
  private readonly connections: ConnectionSlots<NetcatConnection>;
  private stopping: Promise<void> | undefined;
  /** Aborted by stop(): ends retrying a busy port. */
  private readonly stopped = new AbortController();

  constructor(
    private readonly config: NetcatConfig,
    private readonly ctx: SourceContext,
  ) {
    this.connections = new ConnectionSlots(config.maxConnections, ctx.logger);
  }

  /** The bound address (after start): useful with port 0. */
  address(): AddressInfo {
    const addr = this.server?.address();
    if (addr === null || addr === undefined || typeof addr === 'string') throw new Error('netcat source is not listening');
    return addr;
  }

  /** Binds the port; a busy one is retried in the background (see listenWithRetry). */
  async start(): Promise<void> {
    const { bind, port } = this.config;
    const server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => this.accept(socket));
    this.server = server;
    await listenWithRetry(() => listenOnce(server, bind, port), {
      address: `${bind}:${port}`,
      ctx: this.ctx,
      signal: this.stopped.signal,
      onBound: () => {
        server.on('error', (err) => this.ctx.logger.error({ err }, 'netcat server error'));
        this.ctx.logger.info({ bind, port: this.address().port }, 'netcat source listening');
      },
    });
  }

  stop(): Promise<void> {
    this.stopped.abort();
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    await Promise.all([...this.connections].map((c) => c.stop(STOP_GRACE_MS)));
    await closed;
    this.ctx.logger.info('netcat source stopped');
  }

  private accept(socket: Socket): void {
    const { counters } = this.ctx;
    if (this.stopping !== undefined || this.connections.admit() === 'refused') {
      socket.destroy();
      return;
    }
    const logger = this.ctx.logger.child({ peer: `${socket.remoteAddress}:${socket.remotePort}` });
    const connection = new NetcatConnection(socket, {
      maxLineLength: this.config['max-line-length'],
      utf8: /^utf-?8$/i.test(this.config.encoding.trim()),
      ackEveryEvent: this.config['ack-every-event'],
      batchSize: this.config.batchSize,
      emit: this.ctx.emit,
      counters,
      logger,
    });
    trackConnection(this.connections, connection, counters, logger);
  }
}

export const netcatSource: SourceFactory<typeof NETCAT_KEYS> = {
  kind: 'source',
  type: 'netcat',
  aliases: ['org.apache.flume.source.NetcatSource'],
  doc: 'A TCP server: one event per `\\n`-terminated line (the `\\n` dropped, a `\\r` before it kept); `OK` per line once committed.',
  keys: NETCAT_KEYS,
  batchSizeKey: 'batchSize',
  resources: (config) => [{ kind: 'tcp-port', host: config.bind, port: config.port, key: 'port' }],
  check(config) {
    const error = charsetError('encoding', config.encoding);
    return error === undefined ? [] : [error];
  },
  create(config, ctx) {
    return new NetcatSource(config, ctx);
  },
};
