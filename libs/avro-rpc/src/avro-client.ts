import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { SluiceError, type Logger } from '@sluice/core';
import { decodeResponse, encodeRequestBuffers, type DecodedResponse } from './call-codec.js';
import { encodeFrame, encodeFrameChunks, FrameDecoder, type NettyFrame } from './netty-framing.js';
import {
  AVRO_SOURCE_PROTOCOL_HASH,
  AVRO_SOURCE_PROTOCOL_TEXT,
  type HandshakeRequest,
  type MessageName,
  type Status,
} from './protocol.js';
import { parseProtocolShape, statusFromIndex, type ProtocolShape } from './protocol-shape.js';
import { openClientStream, type ClientStream, type Compression } from './transport.js';
import type { TlsMaterial } from './tls-versions.js';
import { DEFAULT_COMPRESSION_LEVEL } from './zlib-duplex.js';

/** TLS settings of the client (Flume's `ssl`, `trust-all-certs`, `truststore*`). */
export interface ClientTlsOptions extends TlsMaterial {
  /** Trusted CA certificates (PEM); absent = Node's default CA store. */
  readonly ca?: Buffer | readonly Buffer[];
  /** Accept any server certificate (Flume's `trust-all-certs`): encryption without authentication. */
  readonly trustAll?: boolean;
  /**
   * Check that the certificate names the host (default true). Flume's client does not check it;
   * set false to talk to servers whose certificates do not carry their host name.
   */
  readonly verifyHostname?: boolean;
  /** SNI name and name to verify (default: `host`, unless it is an IP address). */
  readonly servername?: string;
  // The key material, if given, is an optional client certificate.
}

export interface AvroClientOptions {
  readonly host: string;
  readonly port: number;
  /** Bounds TCP connect + TLS handshake (Flume's `connect-timeout`, default 20000). */
  readonly connectTimeoutMs?: number;
  /** Bounds each call, from sending to its reply (Flume's `request-timeout`, default 20000). */
  readonly requestTimeoutMs?: number;
  readonly compression?: Compression;
  /** Deflate level of the client → server direction (Flume's `compression-level`, default 6). */
  readonly compressionLevel?: number;
  readonly tls?: ClientTlsOptions;
  /** Largest reply frame accepted (default 16 MiB). */
  readonly maxResponseBytes?: number;
  /** Debug-level notes on connections; optional. */
  readonly logger?: Logger;
}

export interface CallOptions {
  /** Aborting rejects the call with SLUICE_ERR_STOPPED and drops the connection (outcome unknown). */
  readonly signal?: AbortSignal;
}

/** Running totals (never reset), matching the avro sink's Flume counters where they exist. */
export interface AvroClientStats {
  connectionsCreated: number;
  connectionsFailed: number;
  connectionsClosed: number;
  requests: number;
  timeouts: number;
}

/**
 * A Flume-compatible client of AvroSourceProtocol over one connection at a time. It connects (and
 * handshakes, on the first call) lazily; after a timeout, an abort or any failure the connection is
 * dropped and the next call makes a new one. Calls may overlap: they are sent in call order and
 * matched to replies by serial.
 *
 * Rejections are SluiceErrors: SLUICE_ERR_TIMEOUT (retriable; the outcome is unknown) when the
 * connection or a reply takes too long; SLUICE_ERR_DELIVERY when the peer cannot be reached or
 * the connection drops (retriable) or the server answers with an Avro error (not retriable);
 * SLUICE_ERR_PROTOCOL when the server breaks the protocol; SLUICE_ERR_STOPPED after close() or
 * an abort. A FAILED or UNKNOWN status is a resolved value, not a rejection.
 */
export interface AvroClient {
  /** Connects now (TCP and TLS; the Avro handshake rides on the first call). */
  connect(): Promise<void>;
  /** Sends an encoded `array<AvroFlumeEvent>` as the `appendBatch` parameter, byte for byte. */
  appendBatch(batch: Buffer, options?: CallOptions): Promise<Status>;
  /** Sends one encoded `AvroFlumeEvent` as the `append` parameter. */
  append(event: Buffer, options?: CallOptions): Promise<Status>;
  /** Lets the current connection finish its calls, then closes it; later calls use a new one. */
  reconnect(): void;
  /** Rejects pending calls (SLUICE_ERR_STOPPED), closes the connection; later calls reject too. */
  close(): Promise<void>;
  /** True while a connection is open and usable. */
  readonly connected: boolean;
  readonly stats: Readonly<AvroClientStats>;
}

export function createAvroClient(options: AvroClientOptions): AvroClient {
  return new AvroClientImpl(options);
}

const DEFAULT_TIMEOUT_MS = 20_000;
const CLOSE_GRACE_MS = 2000;
const MAX_SERIAL = 0x7fffffff;

function stopped(why: string): SluiceError {
  return new SluiceError('SLUICE_ERR_STOPPED', why);
}

function nodeTlsOptions(host: string, t: ClientTlsOptions): tls.ConnectionOptions {
  const servername = t.servername ?? (net.isIP(host) ? undefined : host);
  const skipName = t.trustAll === true || t.verifyHostname === false;
  return {
    host: t.servername ?? host,
    servername,
    ca: t.ca as Buffer[] | Buffer | undefined,
    rejectUnauthorized: t.trustAll !== true,
    checkServerIdentity: skipName ? () => undefined : tls.checkServerIdentity,
    key: t.key,
    cert: t.cert,
    pfx: t.pfx,
    passphrase: t.passphrase,
    minVersion: t.minVersion ?? 'TLSv1.2',
    maxVersion: t.maxVersion,
    ciphers: t.ciphers,
  };
}

class AvroClientImpl implements AvroClient {
  readonly stats: AvroClientStats = {
    connectionsCreated: 0,
    connectionsFailed: 0,
    connectionsClosed: 0,
    requests: 0,
    timeouts: 0,
  };
  readonly where: string;
  readonly requestTimeoutMs: number;
  private conn: ClientConnection | undefined;
  private connecting: Promise<ClientConnection> | undefined;
  private isClosed = false;
  /** The server's hash once learned (NONE / CLIENT), sent in later handshakes to skip NONE. */
  private serverHash: Buffer | undefined;

  constructor(readonly options: AvroClientOptions) {
    this.where = `${options.host}:${options.port}`;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  get connected(): boolean {
    return this.conn?.usable === true;
  }

  get log(): Logger | undefined {
    return this.options.logger;
  }

  async connect(): Promise<void> {
    await this.connection();
  }

  appendBatch(batch: Buffer, options?: CallOptions): Promise<Status> {
    return this.call('appendBatch', batch, options);
  }

  append(event: Buffer, options?: CallOptions): Promise<Status> {
    return this.call('append', event, options);
  }

  reconnect(): void {
    this.conn?.retire();
    this.conn = undefined;
  }

  async close(): Promise<void> {
    this.isClosed = true;
    const pending = this.connecting;
    if (pending) await pending.catch(() => undefined);
    const conn = this.conn;
    this.conn = undefined;
    if (conn) await conn.shutdown(stopped(`the client of ${this.where} was closed`));
  }

  handshakeRequest(withProtocol: boolean): HandshakeRequest {
    return {
      clientHash: AVRO_SOURCE_PROTOCOL_HASH,
      clientProtocol: withProtocol ? AVRO_SOURCE_PROTOCOL_TEXT : null,
      serverHash: this.serverHash ?? AVRO_SOURCE_PROTOCOL_HASH,
      meta: {},
    };
  }

  learnServerHash(hash: Buffer | null): void {
    if (hash) this.serverHash = Buffer.from(hash);
  }

  private async call(message: MessageName, params: Buffer, options: CallOptions | undefined): Promise<Status> {
    if (this.isClosed) throw stopped(`the client of ${this.where} is closed`);
    const signal = options?.signal;
    if (signal?.aborted) throw stopped(`${message} to ${this.where} was aborted`);
    const conn = await this.connection();
    this.stats.requests++;
    return conn.call(message, params, signal);
  }

  private async connection(): Promise<ClientConnection> {
    if (this.isClosed) throw stopped(`the client of ${this.where} is closed`);
    if (this.conn?.usable) return this.conn;
    this.connecting ??= this.open().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async open(): Promise<ClientConnection> {
    const o = this.options;
    let stream: ClientStream;
    try {
      stream = await openClientStream({
        host: o.host,
        port: o.port,
        timeoutMs: o.connectTimeoutMs ?? DEFAULT_TIMEOUT_MS,
        compression: o.compression ?? 'none',
        compressionLevel: o.compressionLevel ?? DEFAULT_COMPRESSION_LEVEL,
        tls: o.tls ? nodeTlsOptions(o.host, o.tls) : undefined,
      });
    } catch (err) {
      this.stats.connectionsFailed++;
      this.log?.debug({ err, peer: this.where }, 'Avro connection failed.');
      throw err;
    }
    this.stats.connectionsCreated++;
    const conn = new ClientConnection(this, stream);
    void conn.closed.then(() => {
      this.stats.connectionsClosed++;
      if (this.conn === conn) this.conn = undefined;
    });
    if (this.isClosed) {
      await conn.shutdown(stopped(`the client of ${this.where} was closed`));
      throw stopped(`the client of ${this.where} is closed`);
    }
    this.conn = conn;
    this.log?.debug({ peer: this.where }, 'Avro connection open.');
    return conn;
  }
}

interface Pending {
  readonly withHandshake: boolean;
  readonly resolve: (response: DecodedResponse) => void;
  readonly reject: (err: Error) => void;
}

/** One TCP connection: serials from 1, the handshake on its first call, replies matched by serial. */
class ClientConnection {
  readonly closed: Promise<void>;
  private readonly stream: Duplex;
  private readonly layers: readonly Duplex[];
  /** True when frames are written straight to the TCP socket (no zlib, no TLS). */
  private readonly plain: boolean;
  private readonly decoder: FrameDecoder;
  private readonly pending = new Map<number, Pending>();
  private serial = 0;
  /** 'needed' until the first call goes out; a promise while it is in flight; then 'done'. */
  private handshake: 'needed' | Promise<void> | 'done' = 'needed';
  private serverShape: ProtocolShape | undefined;
  private failure: SluiceError | undefined;
  private retiring = false;
  private closeTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: AvroClientImpl,
    cs: ClientStream,
  ) {
    this.stream = cs.stream;
    this.layers = cs.layers;
    this.plain = cs.stream === cs.socket;
    this.decoder = new FrameDecoder({
      maxFrameBytes: client.options.maxResponseBytes ?? 16 * 1024 * 1024,
      maxBuffersPerFrame: 4096,
    });
    this.closed = new Promise((resolve) =>
      cs.socket.once('close', () => {
        clearTimeout(this.closeTimer);
        this.fail(this.lost('the connection closed'));
        resolve();
      }),
    );
    for (const layer of this.layers) {
      layer.on('error', (err: Error) => this.fail(err instanceof SluiceError ? err : this.lost(err.message, err)));
    }
    this.stream.on('data', (chunk: Buffer) => this.onData(chunk));
    this.stream.on('end', () => this.fail(this.lost('the server closed the connection')));
  }

  get usable(): boolean {
    return this.failure === undefined && !this.retiring;
  }

  retire(): void {
    this.retiring = true;
    if (this.pending.size === 0) void this.shutdown(this.lost('the connection was retired'));
  }

  /** Fails what is pending with `err`, then closes gracefully (ends the zlib stream and TLS). */
  shutdown(err: SluiceError): Promise<void> {
    this.rejectAll(err);
    this.failure ??= err;
    this.stream.end();
    this.closeTimer ??= setTimeout(() => this.destroy(), CLOSE_GRACE_MS);
    return this.closed;
  }

  async call(message: MessageName, params: Buffer, signal: AbortSignal | undefined): Promise<Status> {
    if (this.failure) throw this.failure;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const guard = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.client.stats.timeouts++;
        const err = new SluiceError(
          'SLUICE_ERR_TIMEOUT',
          `no reply to ${message} from ${this.client.where} within ${this.client.requestTimeoutMs} ms`,
          { retriable: true },
        );
        reject(err);
        this.fail(this.lost('another call on the connection timed out'));
      }, this.client.requestTimeoutMs);
      if (signal) {
        onAbort = () => {
          const err = stopped(`${message} to ${this.client.where} was aborted`);
          reject(err);
          this.fail(this.lost('a call on the connection was aborted'));
        };
        signal.addEventListener('abort', onAbort, { once: true });
      }
    });
    try {
      return await Promise.race([this.exchange(message, params), guard]);
    } finally {
      clearTimeout(timer);
      if (onAbort) signal!.removeEventListener('abort', onAbort);
      if (this.retiring && this.pending.size === 0) void this.shutdown(this.lost('the connection was retired'));
    }
  }

  private async exchange(message: MessageName, params: Buffer): Promise<Status> {
    for (;;) {
      if (this.handshake === 'done') return this.interpret(message, await this.send(null, message, params));
      if (this.handshake === 'needed') break;
      await this.handshake;
    }
    let release!: () => void;
    let refuse!: (err: Error) => void;
    const done = new Promise<void>((resolve, reject) => {
      release = resolve;
      refuse = reject;
    });
    done.catch(() => undefined);
    this.handshake = done;
    try {
      let response = await this.send(this.client.handshakeRequest(false), message, params);
      if (response.handshake?.match === 'NONE') {
        // The server does not know our hash: it did not run the call. Resend with our protocol.
        this.client.learnServerHash(response.handshake.serverHash);
        response = await this.send(this.client.handshakeRequest(true), message, params);
        if (response.handshake?.match === 'NONE') throw this.violation('the server refused the handshake twice');
      }
      if (response.handshake?.match === 'CLIENT') {
        this.client.learnServerHash(response.handshake.serverHash);
        if (response.handshake.serverProtocol) this.serverShape = parseProtocolShape(response.handshake.serverProtocol);
      }
      this.handshake = 'done';
      release();
      return this.interpret(message, response);
    } catch (err) {
      refuse(err as Error);
      this.fail(err instanceof SluiceError ? err : this.lost((err as Error).message, err));
      throw err;
    }
  }

  private send(handshake: HandshakeRequest | null, message: string, params: Buffer): Promise<DecodedResponse> {
    if (this.failure) return Promise.reject(this.failure);
    this.serial = this.serial >= MAX_SERIAL ? 1 : this.serial + 1;
    const serial = this.serial;
    return new Promise((resolve, reject) => {
      this.pending.set(serial, { withHandshake: handshake !== null, resolve, reject });
      this.writeFrame(serial, encodeRequestBuffers(handshake, message, params));
    });
  }

  /**
   * On a plain socket the frame goes out as one gathered write (writev) of its pieces, so the
   * batch is not copied into a frame buffer first; over zlib or TLS it is one contiguous write,
   * so that each frame is one deflate flush (as Flume's stream is).
   */
  private writeFrame(serial: number, buffers: Buffer[]): void {
    if (!this.plain) {
      this.stream.write(encodeFrame(serial, buffers));
      return;
    }
    const chunks = encodeFrameChunks(serial, buffers);
    if (chunks.length === 1) {
      this.stream.write(chunks[0]);
      return;
    }
    this.stream.cork();
    for (const c of chunks) this.stream.write(c);
    this.stream.uncork();
  }

  private interpret(message: MessageName, response: DecodedResponse): Status {
    const body = response.body;
    if (body.kind === 'error') {
      throw new SluiceError('SLUICE_ERR_DELIVERY', `${this.client.where} answered ${message} with an error: ${body.message}`);
    }
    if (body.kind === 'none') throw this.violation(`the reply to ${message} carries no result`);
    const symbols = this.serverShape?.messages.get(message)?.responseSymbols ?? null;
    const status = statusFromIndex(body.statusIndex, symbols);
    if (status === undefined) throw this.violation(`the reply to ${message} has an unknown status index ${body.statusIndex}`);
    return status;
  }

  private onData(chunk: Buffer): void {
    let frames: NettyFrame[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.fail(err as SluiceError);
      return;
    }
    for (const frame of frames) {
      const p = this.pending.get(frame.serial);
      if (!p) {
        this.fail(this.violation(`a reply with serial ${frame.serial} matches no request`));
        return;
      }
      this.pending.delete(frame.serial);
      try {
        p.resolve(decodeResponse(frame.payload, p.withHandshake));
      } catch (err) {
        p.reject(err as Error);
        this.fail(err as SluiceError);
        return;
      }
    }
  }

  private violation(why: string): SluiceError {
    return new SluiceError('SLUICE_ERR_PROTOCOL', `${this.client.where} broke the Avro RPC protocol: ${why}`);
  }

  private lost(why: string, cause?: unknown): SluiceError {
    return new SluiceError('SLUICE_ERR_DELIVERY', `connection to ${this.client.where} lost: ${why}`, { retriable: true, cause });
  }

  private rejectAll(err: Error): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.reject(err);
  }

  /** Drops the connection for good: every pending call rejects with `err`. */
  private fail(err: SluiceError): void {
    if (this.failure === undefined) {
      this.failure = err;
      this.client.log?.debug({ err, peer: this.client.where }, 'Avro connection dropped.');
    }
    this.rejectAll(err);
    this.destroy();
  }

  private destroy(): void {
    for (const layer of this.layers) layer.destroy();
  }
}
