import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { ConnectionSlots, frameBatch, RateLimitedWarn, SluiceError, type BatchFraming, type Logger } from '@sluice/core';
import { decodeRequest, encodeResponseBuffers, type ResponseBody } from './call-codec.js';
import { normalizeAddress, type IpFilter } from './ip-filter.js';
import { DEFAULT_FRAME_LIMITS, encodeFrame, FrameDecoder, type NettyFrame } from './netty-framing.js';
import {
  AVRO_SOURCE_PROTOCOL_HASH,
  AVRO_SOURCE_PROTOCOL_TEXT,
  type HandshakeRequest,
  type HandshakeResponse,
  type MessageName,
  type Status,
} from './protocol.js';
import { LOCAL_SHAPE, parseProtocolShape, statusIndexFor, type ProtocolShape } from './protocol-shape.js';
import { wrapServerSocket, type Compression } from './transport.js';
import type { TlsMaterial } from './tls-versions.js';
import { DEFAULT_COMPRESSION_LEVEL } from './zlib-duplex.js';

/** TLS material for the server: PEM key + certificate chain, or a PKCS#12 bundle. */
export type ServerTlsOptions = TlsMaterial;

/** Who sent a request. */
export interface PeerInfo {
  /** Connection number within this server, from 1. */
  readonly id: number;
  readonly address: string;
  readonly port: number;
}

/** Passed with every batch handed to the application. */
export interface AppendContext {
  readonly peer: PeerInfo;
  /** The Avro message that carried the events: `append` arrives here as a batch of one. */
  readonly message: MessageName;
  /** The validated framing of the batch bytes (event count = `framing.starts.length`). */
  readonly framing: BatchFraming;
}

/**
 * Receives each batch: `batch` is the encoded Avro `array<AvroFlumeEvent>` exactly as it came off
 * the wire (after framing and inflate), validated but never decoded. Resolve with the Status to
 * send back: OK only once the events are safe (committed); FAILED makes the upstream retry or fail
 * over. A rejection is logged and answered FAILED. Calls for one connection never overlap and
 * come in the order the peer sent them; different connections are served concurrently.
 */
export type AppendBatchHandler = (batch: Buffer, context: AppendContext) => Promise<Status>;

export interface AvroServerOptions {
  readonly host: string;
  /** 0 picks a free port (see the result of `listen`). */
  readonly port: number;
  readonly compression?: Compression;
  /** Deflate level of the server → client direction (Flume's source always uses 6). */
  readonly compressionLevel?: number;
  readonly tls?: ServerTlsOptions;
  /** Largest request frame (sum of its buffers); a larger one closes the connection. Default 64 MiB. */
  readonly maxFrameBytes?: number;
  /** Largest buffer count in a frame; more closes the connection. Default 65536. */
  readonly maxBuffersPerFrame?: number;
  /**
   * A connection that stops sending in the middle of a frame (or of its TLS handshake) for this
   * long is closed. Idle connections between frames are kept, as Flume keeps them. Default 60000.
   */
  readonly stallTimeoutMs?: number;
  /**
   * Bytes of frames all connections together may hold (after inflate): frames being received,
   * charged at their declared size as soon as it is read, and frames waiting or being served.
   * Past it, the connection holding the most is closed. Default 128 MiB.
   */
  readonly maxBufferedBytes?: number;
  /**
   * Most connections open at once. A connection past it takes the place of the one quiet longest;
   * while every one has a request being served, it is refused (see ConnectionSlots). Default 1000.
   */
  readonly maxConnections?: number;
  /** On close(), connections still busy after this long are cut. Default 5000. */
  readonly closeTimeoutMs?: number;
  /** Accepts or refuses each peer (see createIpFilter for Flume's ipFilterRules). */
  readonly ipFilter?: IpFilter;
  readonly logger: Logger;
  readonly onAppendBatch: AppendBatchHandler;
  /** Optional separate handler for `append` (gets the event's bytes, `framing` of the batch of one). */
  readonly onAppend?: (event: Buffer, context: AppendContext) => Promise<Status>;
}

/** Running totals of one server (never reset). */
export interface AvroServerCounters {
  connectionsOpened: number;
  connectionsClosed: number;
  /** Refused by the ipFilter. */
  connectionsDenied: number;
  /** Malformed, truncated, oversized or stalled frames/requests: each closed its connection. */
  framesRejected: number;
  /** Requests answered with an Avro error (unknown message, incompatible schema, bad batch). */
  errorResponses: number;
  /** Batches handed to the application. */
  batchesReceived: number;
  /** Handler rejections (answered FAILED). */
  handlerFailures: number;
  /** Closed to keep frames within maxBufferedBytes. */
  closedOverBudget: number;
  /** Idle connections closed, or new ones refused, to stay within maxConnections. */
  closedOverLimit: number;
}

export interface AvroServer {
  /** Binds; resolves with the bound address. Rejects with SLUICE_ERR_CONFIG if the port is taken. */
  listen(): Promise<{ host: string; port: number }>;
  /**
   * Stops accepting, lets each connection finish the request it is serving, then closes them
   * (cut after closeTimeoutMs). Resolves when every connection is closed.
   */
  close(): Promise<void>;
  /** Connections open now (Flume's OpenConnectionCount). */
  readonly connections: number;
  /** Bytes of frames all connections hold now, received or claimed (what maxBufferedBytes bounds). */
  readonly bufferedBytes: number;
  readonly counters: Readonly<AvroServerCounters>;
}

const MAX_CACHED_PROTOCOLS = 32;
const DEFAULT_MAX_BUFFERED_BYTES = 128 * 1024 * 1024;
const DEFAULT_MAX_CONNECTIONS = 1000;
/**
 * Events one request may carry: above any channel's transactionCapacity in practice, and what
 * bounds the framing arrays of a batch of tiny events (a 64 MiB frame could claim 32M).
 */
const MAX_BATCH_EVENTS = 1_000_000;
const OWN_HASH_KEY = AVRO_SOURCE_PROTOCOL_HASH.toString('hex');
const SCHEMA_RESOLUTION_UNSUPPORTED = 'the request schema differs from AvroSourceProtocol (schema resolution is not supported)';

class HandshakeRefused extends Error {}

/** Creates a Flume-compatible AvroSource server. Nothing is bound until `listen()`. */
export function createAvroServer(options: AvroServerOptions): AvroServer {
  return new AvroServerImpl(options);
}

class AvroServerImpl implements AvroServer {
  readonly counters: AvroServerCounters = {
    connectionsOpened: 0,
    connectionsClosed: 0,
    connectionsDenied: 0,
    framesRejected: 0,
    errorResponses: 0,
    batchesReceived: 0,
    handlerFailures: 0,
    closedOverBudget: 0,
    closedOverLimit: 0,
  };
  private readonly server: net.Server;
  private readonly open: ConnectionSlots<ServerConnection>;
  private readonly protocols = new Map<string, ProtocolShape>([[OWN_HASH_KEY, LOCAL_SHAPE]]);
  private readonly secureContext: tls.SecureContext | undefined;
  private readonly warnings = new RateLimitedWarn();
  private nextId = 1;
  private closing = false;
  /** Sum of what every connection holds (see ServerConnection.held). */
  private buffered = 0;
  private overBudget = false;
  readonly log: Logger;

  constructor(readonly options: AvroServerOptions) {
    this.log = options.logger;
    this.open = new ConnectionSlots(options.maxConnections ?? DEFAULT_MAX_CONNECTIONS, this.log);
    if (options.tls) {
      const t = options.tls;
      if (!t.pfx && !(t.key && t.cert)) {
        throw new SluiceError('SLUICE_ERR_CONFIG', 'TLS needs a key and a certificate (PEM) or a PKCS#12 keystore');
      }
      try {
        this.secureContext = tls.createSecureContext({
          key: t.key,
          cert: t.cert,
          pfx: t.pfx,
          passphrase: t.passphrase,
          minVersion: t.minVersion ?? 'TLSv1.2',
          maxVersion: t.maxVersion,
          ciphers: t.ciphers,
        });
      } catch (err) {
        throw new SluiceError('SLUICE_ERR_CONFIG', `cannot load the TLS key material: ${(err as Error).message}`, { cause: err });
      }
    }
    this.server = net.createServer({ noDelay: true, pauseOnConnect: true }, (socket) => this.accept(socket));
  }

  get connections(): number {
    return this.open.size;
  }

  get bufferedBytes(): number {
    return this.buffered;
  }

  listen(): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        reject(
          new SluiceError('SLUICE_ERR_CONFIG', `cannot listen on ${this.options.host}:${this.options.port}: ${err.message}`, {
            cause: err,
          }),
        );
      };
      this.server.once('error', onError);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.removeListener('error', onError);
        this.server.on('error', (err) => this.log.error({ err }, 'Avro server socket failed.'));
        const addr = this.server.address() as net.AddressInfo;
        this.log.info({ host: addr.address, port: addr.port }, 'Avro server listening.');
        resolve({ host: addr.address, port: addr.port });
      });
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const conns = [...this.open];
    for (const c of conns) c.shutdown();
    const timeoutMs = this.options.closeTimeoutMs ?? 5000;
    let timer: NodeJS.Timeout | undefined;
    const allClosed = Promise.all(conns.map((c) => c.closed));
    await Promise.race([
      allClosed,
      new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          for (const c of this.open) c.destroy();
          resolve();
        }, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    await allClosed;
    await stopped;
  }

  private accept(socket: net.Socket): void {
    socket.setNoDelay(true);
    const address = normalizeAddress(socket.remoteAddress ?? '');
    const peer: PeerInfo = { id: this.nextId++, address, port: socket.remotePort ?? 0 };
    if (this.closing) {
      socket.destroy();
      return;
    }
    socket.on('error', () => {
      // Reported through the connection once it exists; a refused peer's errors do not matter.
    });
    const filter = this.options.ipFilter;
    if (!filter) {
      this.start(socket, peer);
      return;
    }
    Promise.resolve()
      .then(() => filter(address))
      .then(
        (allowed) => {
          if (allowed && !this.closing) this.start(socket, peer);
          else this.deny(socket, peer);
        },
        (err: unknown) => {
          this.log.error({ err, peer }, 'The IP filter failed; the connection is refused.');
          this.deny(socket, peer);
        },
      );
  }

  private deny(socket: net.Socket, peer: PeerInfo): void {
    this.counters.connectionsDenied++;
    this.log.debug({ peer }, 'Connection refused by the IP filter.');
    socket.destroy();
  }

  private start(socket: net.Socket, peer: PeerInfo): void {
    const admission = this.open.admit();
    if (admission !== 'room') this.counters.closedOverLimit++;
    if (admission === 'refused') {
      socket.destroy();
      return;
    }
    this.counters.connectionsOpened++;
    const conn = new ServerConnection(this, socket, peer, this.secureContext);
    this.open.add(conn);
    void conn.closed.then(() => {
      this.open.delete(conn);
      this.counters.connectionsClosed++;
    });
  }

  /**
   * Adds `delta` to the bytes frames hold; past maxBufferedBytes, closes the connection
   * holding the most until the total fits. Logged once per change of state.
   */
  account(delta: number): void {
    this.buffered += delta;
    const budget = this.options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
    if (this.buffered <= budget) {
      if (this.overBudget && this.buffered <= budget / 2) {
        this.overBudget = false;
        this.log.info({ bufferedBytes: this.buffered, maxBufferedBytes: budget }, 'Frames held are well within maxBufferedBytes again.');
      }
      return;
    }
    if (!this.overBudget) {
      this.overBudget = true;
      this.log.warn({ bufferedBytes: this.buffered, maxBufferedBytes: budget }, 'Frames held exceed maxBufferedBytes: closing the connections that hold the most.');
    }
    while (this.buffered > budget) {
      let largest: ServerConnection | undefined;
      for (const c of this.open) if (largest === undefined || c.held >= largest.held) largest = c; // ties: the newest, which has cost least so far
      if (largest === undefined || largest.held === 0) return;
      this.counters.closedOverBudget++;
      largest.release();
      largest.destroy();
    }
  }

  /**
   * A misbehaving peer is reported at warn once per address per minute, then at debug, so a
   * client reconnecting in a loop with garbage does not flood the log (the counters count all).
   */
  shouldWarn(address: string): boolean {
    return this.warnings.report(address).level === 'warn';
  }

  /** Avro's server-side handshake (Responder.handshake), with Flume's protocol pre-registered. */
  handshake(request: HandshakeRequest): { response: HandshakeResponse; remote: ProtocolShape | undefined } {
    const key = request.clientHash.toString('hex');
    let remote = this.protocols.get(key);
    if (!remote && request.clientProtocol !== null) {
      try {
        remote = parseProtocolShape(request.clientProtocol);
      } catch (err) {
        throw new HandshakeRefused((err as Error).message);
      }
      if (this.protocols.size >= MAX_CACHED_PROTOCOLS) {
        for (const k of this.protocols.keys()) {
          if (k !== OWN_HASH_KEY) {
            this.protocols.delete(k);
            break;
          }
        }
      }
      this.protocols.set(key, remote);
    }
    const match = !remote ? 'NONE' : request.serverHash.equals(AVRO_SOURCE_PROTOCOL_HASH) ? 'BOTH' : 'CLIENT';
    const response: HandshakeResponse =
      match === 'BOTH'
        ? { match, serverProtocol: null, serverHash: null, meta: null }
        : { match, serverProtocol: AVRO_SOURCE_PROTOCOL_TEXT, serverHash: AVRO_SOURCE_PROTOCOL_HASH, meta: null };
    return { response, remote };
  }
}

/** One accepted connection: frames in, one request served at a time, responses out in order. */
class ServerConnection {
  readonly closed: Promise<void>;
  private readonly stream: Duplex;
  private readonly decoder: FrameDecoder;
  private readonly queue: NettyFrame[] = [];
  private readonly log: Logger;
  private busy = false;
  private ending = false;
  private rejected = false;
  private remote: ProtocolShape | undefined;
  private stallTimer: NodeJS.Timeout | undefined;
  private readonly stallMs: number;
  /**
   * What this connection has charged to the server's budget: the frame it is receiving (its
   * declared size) and the complete frames waiting or being served.
   */
  held = 0;
  private queuedBytes = 0;
  /** When the peer last sent a byte or was last answered. */
  private lastActive = Date.now();

  constructor(
    private readonly server: AvroServerImpl,
    private readonly socket: net.Socket,
    private readonly peer: PeerInfo,
    secureContext: tls.SecureContext | undefined,
  ) {
    const o = server.options;
    this.log = server.log.child({ peer: `${peer.address}:${peer.port}`, connection: peer.id });
    this.stallMs = o.stallTimeoutMs ?? 60_000;
    this.decoder = new FrameDecoder({
      maxFrameBytes: o.maxFrameBytes ?? DEFAULT_FRAME_LIMITS.maxFrameBytes,
      maxBuffersPerFrame: o.maxBuffersPerFrame ?? DEFAULT_FRAME_LIMITS.maxBuffersPerFrame,
    });
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    const { stream, tlsSocket } = wrapServerSocket(socket, {
      compression: o.compression ?? 'none',
      compressionLevel: o.compressionLevel ?? DEFAULT_COMPRESSION_LEVEL,
      secureContext,
    });
    this.stream = stream;
    this.log.debug('Connection opened.');
    socket.once('close', () => {
      clearTimeout(this.stallTimer);
      this.release();
      if (this.decoder.midFrame && !this.rejected && !this.ending) this.count('truncated frame: the peer closed in the middle of a frame');
      this.stream.destroy();
      this.log.debug('Connection closed.');
    });
    stream.on('error', (err: Error) => this.onStreamError(err));
    if (stream !== socket) socket.on('error', (err: Error) => this.onStreamError(err));
    if (tlsSocket) {
      this.armStallTimer('TLS handshake');
      tlsSocket.once('secure', () => clearTimeout(this.stallTimer));
    }
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.resume();
  }

  /** Finishes the request in progress (if any), then closes. */
  shutdown(): void {
    this.ending = true;
    this.queue.length = 0;
    if (!this.busy) this.stream.end();
  }

  destroy(): void {
    this.stream.destroy();
    this.socket.destroy();
  }

  /** Charges the server's budget with what this connection holds now (see `held`). */
  private recount(): void {
    if (this.socket.destroyed) return;
    const held = this.decoder.heldBytes + this.queuedBytes;
    if (held === this.held) return;
    const delta = held - this.held;
    this.held = held;
    this.server.account(delta);
  }

  /** Gives back what this connection counted against the server's budget. */
  release(): void {
    if (this.held === 0) return;
    const held = this.held;
    this.held = 0;
    this.server.account(-held);
  }

  /** See SlotHolder: undefined while a request is being served. */
  get quietSince(): number | undefined {
    return this.busy || this.queue.length > 0 ? undefined : this.lastActive;
  }

  private onStreamError(err: Error & { code?: string; library?: string }): void {
    // A bad deflate stream (SluiceError from the zlib layer) or a failed TLS handshake is the
    // peer's fault, like a bad frame; socket errors (reset, broken pipe) are ordinary hang-ups.
    const tlsFailure = typeof err.code === 'string' && err.code.startsWith('ERR_SSL');
    if (err instanceof SluiceError || tlsFailure || err.library !== undefined) {
      this.reject(err.message, err);
      return;
    }
    if (!this.socket.destroyed) this.log.debug({ err }, 'Connection error.');
    this.destroy();
  }

  /** Closes the connection for a protocol violation: logged once with its reason, and counted. */
  private reject(reason: string, err?: unknown): void {
    if (this.rejected || this.socket.destroyed) return;
    this.count(reason, err);
    this.destroy();
  }

  private count(reason: string, err?: unknown): void {
    this.rejected = true;
    this.server.counters.framesRejected++;
    const level = this.server.shouldWarn(this.peer.address) ? 'warn' : 'debug';
    this.log[level]({ reason, err }, 'Closing the connection: the peer broke the Avro RPC protocol.');
  }

  private armStallTimer(what: string): void {
    clearTimeout(this.stallTimer);
    this.stallTimer = setTimeout(() => this.reject(`${what} stalled for ${this.stallMs} ms`), this.stallMs);
  }

  private onData(chunk: Buffer): void {
    if (this.socket.destroyed) return;
    this.lastActive = Date.now();
    let frames: NettyFrame[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.reject((err as Error).message, err);
      return;
    }
    for (const f of frames) this.queuedBytes += f.payload.length;
    this.recount();
    if (this.socket.destroyed) return;
    if (this.decoder.midFrame) this.armStallTimer('a partly received frame');
    else clearTimeout(this.stallTimer);
    if (this.ending) return;
    this.queue.push(...frames);
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    this.stream.pause();
    try {
      while (this.queue.length > 0 && !this.socket.destroyed && !this.ending) {
        const frame = this.queue.shift()!;
        await this.serve(frame);
        this.queuedBytes -= frame.payload.length;
        this.recount();
      }
    } finally {
      this.busy = false;
      this.lastActive = Date.now();
    }
    if (this.ending) {
      this.stream.end();
      return;
    }
    if (this.socket.destroyed) return;
    // A peer that does not read its responses is not read either: its answers wait in our
    // write buffer only up to the stream's high-water mark.
    if (this.stream.writableNeedDrain) this.stream.once('drain', () => this.stream.resume());
    else this.stream.resume();
  }

  private write(serial: number, handshake: HandshakeResponse | null, body: ResponseBody): void {
    this.stream.write(encodeFrame(serial, encodeResponseBuffers(handshake, body)));
  }

  private async serve(frame: NettyFrame): Promise<void> {
    const withHandshake = this.remote === undefined;
    let request;
    try {
      request = decodeRequest(frame.payload, withHandshake);
    } catch (err) {
      this.reject((err as Error).message, err);
      return;
    }
    let handshake: HandshakeResponse | null = null;
    if (withHandshake) {
      try {
        const result = this.server.handshake(request.handshake!);
        handshake = result.response;
        if (result.response.match === 'NONE') {
          // Avro does not run the call: the client resends it with its protocol text.
          this.write(frame.serial, handshake, { kind: 'none' });
          return;
        }
        this.remote = result.remote;
      } catch (err) {
        if (!(err instanceof HandshakeRefused)) throw err;
        this.reject(`handshake refused: ${err.message}`, err);
        return;
      }
    }
    if (request.message === '') {
      this.write(frame.serial, handshake, { kind: 'none' });
      return;
    }
    const remoteMessage = this.remote!.messages.get(request.message);
    if (!remoteMessage) {
      this.errorResponse(frame.serial, handshake, `org.apache.avro.AvroRuntimeException: No such remote message: ${request.message}`);
      return;
    }
    const message = request.message as MessageName;
    const local = LOCAL_SHAPE.messages.get(message);
    const okIndex = statusIndexFor('OK', remoteMessage.responseSymbols);
    if (!local || local.requestLayout !== remoteMessage.requestLayout || okIndex < 0) {
      this.errorResponse(frame.serial, handshake, `org.apache.avro.AvroRuntimeException: ${message}: ${SCHEMA_RESOLUTION_UNSUPPORTED}`);
      return;
    }

    let batch: Buffer;
    let framing: BatchFraming;
    try {
      batch = message === 'append' ? Buffer.concat([ONE_ITEM_BLOCK, request.params, END_OF_ARRAY]) : request.params;
      framing = frameBatch(batch, MAX_BATCH_EVENTS);
    } catch (err) {
      if (err instanceof SluiceError && err.code === 'SLUICE_ERR_BATCH_TOO_LARGE') {
        // Well-formed as far as read, only too big: refused like a batch the channels cannot take.
        this.server.counters.handlerFailures++;
        this.log.error({ err }, 'The batch holds more events than any channel takes; answering FAILED.');
        this.write(frame.serial, handshake, { kind: 'result', statusIndex: Math.max(statusIndexFor('FAILED', remoteMessage.responseSymbols), 0) });
        return;
      }
      this.errorResponse(frame.serial, handshake, `org.apache.avro.AvroRuntimeException: ${(err as Error).message}`);
      this.count(`malformed ${message} parameters`, err);
      this.ending = true;
      this.stream.end();
      return;
    }

    const context: AppendContext = { peer: this.peer, message, framing };
    this.server.counters.batchesReceived++;
    let status: Status;
    try {
      status =
        message === 'append' && this.server.options.onAppend
          ? await this.server.options.onAppend(request.params, context)
          : await this.server.options.onAppendBatch(batch, context);
    } catch (err) {
      this.server.counters.handlerFailures++;
      this.log.error({ err, events: framing.starts.length }, 'The batch could not be accepted; answering FAILED.');
      status = 'FAILED';
    }
    if (this.socket.destroyed) return;
    let index = statusIndexFor(status, remoteMessage.responseSymbols);
    if (index < 0) index = statusIndexFor('FAILED', remoteMessage.responseSymbols);
    this.write(frame.serial, handshake, { kind: 'result', statusIndex: Math.max(index, 0) });
  }

  private errorResponse(serial: number, handshake: HandshakeResponse | null, message: string): void {
    this.server.counters.errorResponses++;
    const level = this.server.shouldWarn(this.peer.address) ? 'warn' : 'debug';
    this.log[level]({ error: message }, 'Answering a request with an Avro error.');
    this.write(serial, handshake, { kind: 'error', message });
  }
}

const ONE_ITEM_BLOCK = Buffer.from([2]);
const END_OF_ARRAY = Buffer.from([0]);
