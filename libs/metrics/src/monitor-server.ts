import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from '@sluice/core';
import { bindError } from './bind-error.js';
import { flumeJson } from './flume-json.js';
import { health } from './health.js';
import { PrometheusExporter } from './prometheus.js';
import type { AgentSnapshot } from './snapshot.js';

export interface MonitorServerOptions {
  /** Address to bind; 127.0.0.1 unless the operator asked for another. */
  readonly host: string;
  /** TCP port; 0 picks a free one (see the address `start` resolves with). */
  readonly port: number;
  /** The agent's state now; called once per request. A throw answers 500 and the server keeps serving. */
  readonly snapshot: () => AgentSnapshot;
  readonly logger: Logger;
  /**
   * Most connections open at once (default 256). One past it is closed as soon as it is accepted,
   * so clients holding sockets cannot take the supervisor's file descriptors.
   */
  readonly maxConnections?: number;
  /** How long a client may take to send a request's headers (default 10 s); then 408 and closed. */
  readonly headersTimeoutMs?: number;
  /** How long a client may take to send a whole request (default 30 s); then 408 and closed. */
  readonly requestTimeoutMs?: number;
  /** How long a connection is kept open after a response, waiting for the next request (default 5 s). */
  readonly keepAliveTimeoutMs?: number;
  /** A connection with no traffic either way for this long is destroyed (default 30 s). */
  readonly idleTimeoutMs?: number;
}

const DEFAULT_MAX_CONNECTIONS = 256;
const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 5_000;
const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
/** How often, at most, Node checks open requests against the headers and request timeouts. */
const TIMEOUT_CHECK_MS = 1_000;

const INDEX_HTML = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Sluice agent monitoring</title></head>
<body><h1>Sluice agent monitoring</h1><ul>
<li><a href="/metrics">/metrics</a>: counters as JSON, in Flume's shape</li>
<li><a href="/metrics/prometheus">/metrics/prometheus</a>: the same counters in the Prometheus text format</li>
<li><a href="/health">/health</a>: 200 while the agent runs, 503 with the reason otherwise</li>
</ul></body></html>
`;

type Route = (snapshot: AgentSnapshot) => Promise<{ status: number; type: string; body: string }>;

/**
 * Flume's HTTP monitoring server, with Sluice's additions. Routes: `GET /metrics` (Flume's JSON),
 * `GET /metrics/prometheus` (Prometheus text), `GET /health` (JSON, 200 or 503), `GET /` (a page
 * linking them); HEAD is served like GET. TRACE and OPTIONS are refused with 403 as Flume does,
 * other paths get 404 and other methods 405.
 *
 * It runs in the supervisor, so a client cannot make it hold many sockets: past `maxConnections`
 * a new connection is closed at once (logged at warn the first time, and at info once the open
 * ones are down to half the limit, with how many were closed meanwhile), and a connection that is
 * slow to send its request or sits idle is closed after the timeouts of the options.
 */
export class MonitorServer {
  private readonly prometheus = new PrometheusExporter();
  private readonly routes: ReadonlyMap<string, Route>;
  private server: Server | undefined;
  private open = 0;
  /** Connections closed at maxConnections since the limit was last reached; undefined below it. */
  private dropped: number | undefined;

  constructor(private readonly options: MonitorServerOptions) {
    this.routes = new Map<string, Route>([
      ['/', async () => ({ status: 200, type: 'text/html; charset=utf-8', body: INDEX_HTML })],
      ['/metrics', async (s) => ({ status: 200, type: 'application/json', body: JSON.stringify(flumeJson(s)) })],
      ['/metrics/prometheus', async (s) => ({ status: 200, type: this.prometheus.contentType, body: await this.prometheus.render(s) })],
      [
        '/health',
        async (s) => {
          const h = health(s);
          return { status: h.status, type: 'application/json', body: JSON.stringify(h.body) };
        },
      ],
    ]);
  }

  /** Connections open now. */
  get connections(): number {
    return this.open;
  }

  /**
   * Binds and serves. Rejects with SLUICE_ERR_METRICS_PORT when the address cannot be bound (the
   * port is in use, needs privileges, or the host is not local), saying what to do about it.
   */
  start(): Promise<{ host: string; port: number }> {
    if (this.server !== undefined) return Promise.reject(new Error('MonitorServer.start() was already called'));
    const { host, port, logger } = this.options;
    const headersTimeout = this.options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
    const server = createServer(
      {
        headersTimeout,
        requestTimeout: this.options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
        connectionsCheckingInterval: Math.min(TIMEOUT_CHECK_MS, headersTimeout),
      },
      (req, res) => void this.handle(req, res),
    );
    server.maxConnections = this.options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    server.keepAliveTimeout = this.options.keepAliveTimeoutMs ?? DEFAULT_KEEP_ALIVE_TIMEOUT_MS;
    // With no 'timeout' listener, Node destroys the idle socket.
    server.setTimeout(this.options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS);
    server.on('connection', (socket: Socket) => {
      this.open++;
      socket.once('close', () => this.closed(server.maxConnections));
    });
    server.on('drop', () => this.drop(server.maxConnections));
    this.server = server;
    return new Promise((resolve, reject) => {
      const failed = (err: NodeJS.ErrnoException) => {
        this.server = undefined;
        reject(bindError(host, port, err));
      };
      server.once('error', failed);
      server.listen({ host, port }, () => {
        server.off('error', failed);
        server.on('error', (err) => logger.error({ err }, 'HTTP monitoring server error.'));
        resolve({ host, port: (server.address() as AddressInfo).port });
      });
    });
  }

  /** Stops listening and drops open connections. Safe to call when not started. */
  close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.dropped = undefined;
    if (server === undefined || !server.listening) return Promise.resolve();
    return new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private drop(maxConnections: number): void {
    if (this.dropped === undefined) {
      this.dropped = 0;
      this.options.logger.warn({ maxConnections }, 'HTTP monitoring is at maxConnections: new connections are closed at once.');
    }
    this.dropped++;
  }

  private closed(maxConnections: number): void {
    this.open--;
    if (this.dropped === undefined || this.open > maxConnections / 2) return;
    this.options.logger.info({ maxConnections, dropped: this.dropped }, 'HTTP monitoring accepts new connections again.');
    this.dropped = undefined;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0]!;
    const route = this.routes.get(path);
    if (method === 'TRACE' || method === 'OPTIONS') return send(res, 403, 'text/plain', 'Forbidden\n');
    if (route === undefined) return send(res, 404, 'text/plain', `Not found: ${path}. Try /metrics, /metrics/prometheus or /health.\n`);
    if (method !== 'GET' && method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return send(res, 405, 'text/plain', `Method ${method} not allowed; use GET.\n`);
    }
    try {
      const out = await route(this.options.snapshot());
      send(res, out.status, out.type, out.body);
    } catch (err) {
      this.options.logger.error({ err, path }, 'HTTP monitoring could not answer a request.');
      if (res.headersSent) return void res.destroy();
      send(res, 500, 'text/plain', `Internal error: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'Content-Type': type, 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
