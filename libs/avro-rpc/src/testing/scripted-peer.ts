import * as net from 'node:net';
import * as zlib from 'node:zlib';
import { FrameDecoder, type NettyFrame } from '../netty-framing.js';

export interface ScriptedPeerOptions {
  /** Inflate what the client sends before decoding its frames (replies are written as given). */
  readonly inflate?: boolean;
  /** Raw bytes to write after the n-th frame (from 0) of connection `conn` (from 0); null = stay silent. */
  reply(n: number, frame: NettyFrame, conn: number): Buffer | null;
}

export interface RecordedConnection {
  /** Bytes exactly as they arrived on the socket. */
  readonly raw: Buffer[];
  /** The same after inflate (equal to raw without it). */
  readonly plain: Buffer[];
  readonly frames: NettyFrame[];
}

export interface ScriptedPeer {
  readonly port: number;
  readonly connections: RecordedConnection[];
  close(): Promise<void>;
}

/** A stand-in server on 127.0.0.1 that records a client's bytes and plays back scripted replies. */
export async function startScriptedPeer(options: ScriptedPeerOptions): Promise<ScriptedPeer> {
  const connections: RecordedConnection[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const index = connections.length;
    const rec: RecordedConnection = { raw: [], plain: [], frames: [] };
    connections.push(rec);
    const decoder = new FrameDecoder();
    const onPlain = (chunk: Buffer): void => {
      rec.plain.push(chunk);
      for (const frame of decoder.push(chunk)) {
        const reply = options.reply(rec.frames.length, frame, index);
        rec.frames.push(frame);
        if (reply) socket.write(reply);
      }
    };
    let inflater: zlib.Inflate | undefined;
    if (options.inflate) {
      inflater = zlib.createInflate();
      inflater.on('data', onPlain);
      inflater.on('error', () => socket.destroy());
    }
    socket.on('data', (chunk: Buffer) => {
      rec.raw.push(chunk);
      if (inflater) inflater.write(chunk);
      else onPlain(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
