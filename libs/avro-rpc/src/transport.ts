import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { SluiceError } from '@sluice/core';
import { DEFAULT_COMPRESSION_LEVEL, ZlibDuplex } from './zlib-duplex.js';

/** `compression-type`: Flume accepts `none` and `deflate`. */
export type Compression = 'none' | 'deflate';

/**
 * The layers of one connection, from the socket up, as Flume 1.11 stacks them:
 * socket → zlib (deflate, optional) → TLS (optional) → Netty frames.
 * (Flume 1.9 put TLS under zlib; a 1.9 peer with both options on cannot talk to 1.11 or to us.)
 */
export interface LayerOptions {
  readonly compression: Compression;
  readonly compressionLevel?: number;
}

/** Wraps an accepted socket into the frame stream, adding zlib then TLS as configured. */
export function wrapServerSocket(
  socket: net.Socket,
  options: LayerOptions & { readonly secureContext?: tls.SecureContext },
): { stream: Duplex; tlsSocket?: tls.TLSSocket } {
  let stream: Duplex = socket;
  if (options.compression === 'deflate') stream = new ZlibDuplex(stream, options.compressionLevel ?? DEFAULT_COMPRESSION_LEVEL);
  if (options.secureContext) {
    const tlsSocket = new tls.TLSSocket(stream as net.Socket, { isServer: true, secureContext: options.secureContext });
    return { stream: tlsSocket, tlsSocket };
  }
  return { stream };
}

export interface ClientStreamOptions extends LayerOptions {
  readonly host: string;
  readonly port: number;
  /** Bounds the TCP connect and the TLS handshake together. */
  readonly timeoutMs: number;
  /** Node TLS options (ca, rejectUnauthorized, servername, ...); absent = no TLS. */
  readonly tls?: tls.ConnectionOptions;
}

export interface ClientStream {
  readonly socket: net.Socket;
  /** Where frames are written and read (the socket itself, or the top layer). */
  readonly stream: Duplex;
  /** Every layer, top first, so that a failure anywhere can tear all of them down. */
  readonly layers: readonly Duplex[];
}

/**
 * Connects and stacks the layers; resolves once TCP (and TLS, if any) is established. Rejects with
 * SLUICE_ERR_TIMEOUT (retriable) past `timeoutMs`, with SLUICE_ERR_DELIVERY (retriable) when the
 * peer cannot be reached (refused, unresolvable name, TLS failure).
 */
export function openClientStream(options: ClientStreamOptions): Promise<ClientStream> {
  const where = `${options.host}:${options.port}`;
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: options.host, port: options.port });
    socket.setNoDelay(true);
    const layers: Duplex[] = [socket];
    let settled = false;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      for (const layer of layers) layer.destroy();
      reject(
        err instanceof SluiceError
          ? err
          : new SluiceError('SLUICE_ERR_DELIVERY', `cannot connect to ${where}: ${err.message}`, { retriable: true, cause: err }),
      );
    };
    const done = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      for (const layer of layers) layer.removeListener('error', fail);
      resolve({ socket, stream: layers[layers.length - 1]!, layers: [...layers].reverse() });
    };
    const timer = setTimeout(
      () =>
        fail(
          new SluiceError('SLUICE_ERR_TIMEOUT', `connecting to ${where} took longer than ${options.timeoutMs} ms`, {
            retriable: true,
          }),
        ),
      options.timeoutMs,
    );
    socket.once('error', fail);
    socket.once('close', () => fail(new Error('connection closed during set-up')));
    socket.once('connect', () => {
      let top: Duplex = socket;
      try {
        if (options.compression === 'deflate') {
          top = new ZlibDuplex(socket, options.compressionLevel ?? DEFAULT_COMPRESSION_LEVEL);
          top.once('error', fail);
          layers.push(top);
        }
      } catch (err) {
        fail(err as Error);
        return;
      }
      if (!options.tls) {
        done();
        return;
      }
      const secure = tls.connect({ ...options.tls, socket: top });
      layers.push(secure);
      secure.once('error', fail);
      secure.once('secureConnect', done);
    });
  });
}
