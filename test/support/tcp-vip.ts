import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A stand-in for a TCP load balancer (a VIP): each accepted connection is piped to the next
 * backend port in turn (round robin per connection), as haproxy in `mode tcp` does.
 */
export interface TcpVip {
  readonly port: number;
  /** Connections accepted so far, per backend index. */
  readonly perBackend: number[];
  close(): Promise<void>;
}

export async function startTcpVip(backends: readonly number[], port = 0): Promise<TcpVip> {
  const perBackend = backends.map(() => 0);
  const sockets = new Set<Socket>();
  let next = 0;
  const server: Server = createServer({ noDelay: true }, (client) => {
    const index = next++ % backends.length;
    perBackend[index]!++;
    const upstream = connect({ host: '127.0.0.1', port: backends[index]!, noDelay: true });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    perBackend,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
