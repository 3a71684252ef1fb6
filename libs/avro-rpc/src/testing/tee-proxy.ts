import * as net from 'node:net';

export interface TeeProxy {
  readonly port: number;
  /** Bytes client → server and server → client, as they crossed the proxy. */
  readonly c2s: Buffer[];
  readonly s2c: Buffer[];
  close(): Promise<void>;
}

/** A TCP proxy on 127.0.0.1 that forwards to `targetPort` and records both directions. */
export async function startTeeProxy(targetPort: number): Promise<TeeProxy> {
  const c2s: Buffer[] = [];
  const s2c: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: targetPort });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.on('data', (c: Buffer) => {
      c2s.push(c);
      upstream.write(c);
    });
    upstream.on('data', (c: Buffer) => {
      s2c.push(c);
      client.write(c);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    c2s,
    s2c,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
