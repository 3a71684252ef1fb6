import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { SluiceError, type ErrorCode, type SluiceEvent, type Source, type SourceContext } from '@sluice/core';
import { listenWithRetry } from '../listen-retry.js';
import { blobHandler } from './blob-handler.js';
import type { HttpHandler } from './http-handler.js';
import { HttpExchange } from './http-exchange.js';
import { BLOB_HANDLER, type HttpSourceConfig } from './http-source-factory.js';
import { httpServerTls, sslEnabled } from './http-tls.js';
import { jsonHandler } from './json-handler.js';

/**
 * How long a batch waits for room in a full channel before the request is answered 503. Short,
 * so that the client retries or sends elsewhere instead of holding its connection.
 */
export const FULL_WAIT_MS = 1000;

/** How long a stopping source lets a request being committed finish before answering it 503. */
const STOP_GRACE_MS = 1000;

const RETRY_LATER = { 'Retry-After': '1' } as const;

/**
 * The http source: an HTTP (or HTTPS) server where each POST is one batch. The handler turns the
 * body into events; the batch is emitted whole and the request answered 200 only once it is
 * committed to every required channel. A channel full for FULL_WAIT_MS, a channel failure or a
 * stopping worker make it 503 (Retry-After: 1), with nothing acknowledged: the client keeps the
 * batch and sends it again. A body the handler cannot read is 400 (415 for a charset it does not
 * know), a body past the size bound 413 without reading the rest, any method but POST 405.
 * Memory is bounded: each body by maxRequestBytes, all bodies held at once by maxBufferedBytes
 * (past it, 503), connections by maxConnections.
 *
 * Connections are served concurrently; a connection's requests are answered in order. `stop()`
 * stops accepting, gives requests being committed up to a second to be answered by their commit,
 * answers every other request 503, then closes the connections.
 */
export class HttpSource implements Source {
  private server: HttpServer | HttpsServer | undefined;
  private readonly handler: HttpHandler;
  private readonly bodyLimit: number;
  private readonly exchanges = new Set<HttpExchange>();
  /** Body bytes held by all requests: being read, parsed or committed. */
  private buffered = 0;
  private stopping: Promise<void> | undefined;
  /** Aborted by stop(): ends retrying a busy port. */
  private readonly stopped = new AbortController();
  /** The error code of the current refusal streak, undefined while batches are accepted. */
  private refusing: ErrorCode | undefined;
  private refusedSince = 0;

  constructor(
    private readonly config: HttpSourceConfig,
    private readonly ctx: SourceContext,
  ) {
    const blob = config.handler === BLOB_HANDLER;
    this.handler = blob ? blobHandler : jsonHandler;
    this.bodyLimit = blob ? Math.min(config.maxRequestBytes, config['handler.maxBlobLength']) : config.maxRequestBytes;
  }

  /** The bound address (after start): useful with port 0. */
  address(): AddressInfo {
    const addr = this.server?.address();
    if (addr === null || addr === undefined || typeof addr === 'string') throw new Error('http source is not listening');
    return addr;
  }

  /** Binds the port; a busy one is retried in the background (see listenWithRetry). */
  async start(): Promise<void> {
    const { bind, port } = this.config;
    const tls = httpServerTls(this.config);
    const onRequest = (req: IncomingMessage, res: ServerResponse): void => this.receive(req, res, false);
    const server = tls === undefined ? createHttpServer(onRequest) : createHttpsServer({ ...tls }, onRequest);
    server.maxConnections = this.config.maxConnections;
    // A request that asks before sending its body is refused before it sends it, when it must be.
    server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => this.receive(req, res, true));
    server.on('connection', (socket: Socket) => this.connected(socket));
    this.server = server;
    const listen = () =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: bind, port }, () => {
          server.removeListener('error', reject);
          resolve();
        });
      });
    await listenWithRetry(listen, {
      address: `${bind}:${port}`,
      ctx: this.ctx,
      signal: this.stopped.signal,
      onBound: () => {
        server.on('error', (err) => this.ctx.logger.error({ err }, 'http server error'));
        this.ctx.logger.info({ bind, port: this.address().port, ssl: sslEnabled(this.config), handler: this.config.handler }, 'http source listening');
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
    await Promise.all([...this.exchanges].map((ex) => ex.stop(STOP_GRACE_MS, 503, 'the source is stopping')));
    server.closeAllConnections();
    await closed;
    this.ctx.logger.info('http source stopped');
  }

  private connected(socket: Socket): void {
    const { counters } = this.ctx;
    counters.inc('OpenConnectionCount');
    socket.once('close', () => counters.inc('OpenConnectionCount', -1));
  }

  /** Serves one request: checks its head, reads its body within the bounds, then commits it. */
  private receive(req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): void {
    const ex = new HttpExchange(req, res);
    this.exchanges.add(ex);
    void ex.done.then(() => {
      this.exchanges.delete(ex);
      if (!ex.emitting) this.release(ex);
    });
    if (this.stopping !== undefined) return ex.answer(503, { reason: 'the source is stopping', close: true, headers: RETRY_LATER });
    if (req.method !== 'POST') return ex.answer(405, { reason: 'only POST is accepted', close: true, headers: { Allow: 'POST' } });
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > this.bodyLimit) return this.tooLarge(ex);
    if (expectsContinue) res.writeContinue();
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      if (ex.answered) return;
      if (ex.bytes + chunk.length > this.bodyLimit) {
        chunks.length = 0;
        return this.tooLarge(ex);
      }
      if (this.buffered + chunk.length > this.config.maxBufferedBytes) {
        chunks.length = 0;
        return ex.answer(503, { reason: 'the source holds too many request bytes; retry later', close: true, headers: RETRY_LATER });
      }
      ex.bytes += chunk.length;
      this.buffered += chunk.length;
      chunks.push(chunk);
    });
    req.once('end', () => {
      if (ex.answered) return;
      const body = Buffer.concat(chunks, ex.bytes);
      chunks.length = 0;
      void this.commit(ex, body);
    });
  }

  /** 413, and the connection closed: the rest of the body is not read. */
  private tooLarge(ex: HttpExchange): void {
    this.ctx.counters.inc('EventReadFail');
    ex.answer(413, { reason: `the body exceeds ${this.bodyLimit} bytes`, close: true });
  }

  /** Returns the request's body bytes to the buffer bound. */
  private release(ex: HttpExchange): void {
    this.buffered -= ex.bytes;
    ex.bytes = 0;
  }

  /** Turns the body into a batch and answers once it is committed (or refused). */
  private async commit(ex: HttpExchange, body: Buffer): Promise<void> {
    if (this.stopping !== undefined) return ex.answer(503, { reason: 'the source is stopping', close: true, headers: RETRY_LATER });
    let query: URLSearchParams;
    try {
      query = new URL(ex.req.url ?? '/', 'http://localhost').searchParams;
    } catch {
      return this.badRequest(ex, 400, 'the request URL is malformed');
    }
    const result = this.handler({ body, contentType: ex.req.headers['content-type'], query });
    if (!result.ok) return this.badRequest(ex, result.status, result.reason);
    if (result.events.length === 0) return ex.answer(200);
    ex.emitting = true;
    try {
      await this.ctx.emit(result.events, { fullWaitMs: FULL_WAIT_MS });
      this.accepted();
      ex.answer(200);
    } catch (err) {
      // Anything but a SluiceError is a bug: it is rethrown and the worker exits.
      if (!(err instanceof SluiceError)) throw err;
      this.refused(err, result.events, ex);
      const retry = err.retriable || err.code === 'SLUICE_ERR_STOPPED';
      ex.answer(retry ? 503 : 500, { reason: `the channels did not take the batch: ${err.message}`, headers: retry ? RETRY_LATER : undefined });
    } finally {
      ex.settled();
      if (ex.res.closed) this.release(ex);
    }
  }

  private badRequest(ex: HttpExchange, status: 400 | 415, reason: string): void {
    this.ctx.counters.inc('EventReadFail');
    this.ctx.logger.debug({ status, reason, peer: peer(ex) }, 'Request refused.');
    ex.answer(status, { reason });
  }

  private accepted(): void {
    if (this.refusing === undefined) return;
    this.ctx.logger.info({ refusedForMs: Date.now() - this.refusedSince }, 'The channels take batches again; answering 200.');
    this.refusing = undefined;
  }

  /** Logs a refused batch: at warn (error when no retry can help) on a change of state, then at debug. */
  private refused(err: SluiceError, events: readonly SluiceEvent[], ex: HttpExchange): void {
    const fields = { err, events: events.length, peer: peer(ex) };
    if (this.refusing === err.code) {
      this.ctx.logger.debug(fields, 'Batch refused again.');
      return;
    }
    if (this.refusing === undefined) this.refusedSince = Date.now();
    this.refusing = err.code;
    if (err.retriable) this.ctx.logger.warn(fields, 'The channels did not take a batch; answering 503 so the client retries.');
    else this.ctx.logger.error(fields, 'The channels cannot take this batch; answering 500.');
  }
}

function peer(ex: HttpExchange): string {
  return `${ex.req.socket.remoteAddress}:${ex.req.socket.remotePort}`;
}
