import assert from 'node:assert/strict';
import * as net from 'node:net';
import { after, test } from 'node:test';
import { encodeBatch, textEvent } from '@sluice/core';
import { createAvroClient } from './avro-client.js';
import { createAvroServer, type AvroServer, type AvroServerOptions } from './avro-server.js';
import { memoryLogger, type LogRecord } from '@sluice/testkit';

const closers: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c();
});

async function startServer(extra: Partial<AvroServerOptions>): Promise<{ server: AvroServer; port: number; records: LogRecord[] }> {
  const log = memoryLogger();
  const server = createAvroServer({ host: '127.0.0.1', port: 0, logger: log.logger, onAppendBatch: async () => 'OK', ...extra });
  const { port } = await server.listen();
  closers.push(() => server.close());
  return { server, port, records: log.records };
}

/** A raw connection; `closed` resolves when the server closes it. */
async function rawConnection(port: number): Promise<{ socket: net.Socket; closed: Promise<void> }> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  closers.push(() => void socket.destroy());
  return { socket, closed };
}

/** The start of a Netty frame of one buffer of `declared` bytes, followed by `sent` of them. */
function partialFrame(declared: number, sent: number): Buffer {
  const head = Buffer.alloc(12);
  head.writeInt32BE(1, 0);
  head.writeInt32BE(1, 4);
  head.writeInt32BE(declared, 8);
  return Buffer.concat([head, Buffer.alloc(sent, 0x41)]);
}

async function until<T>(what: string, check: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function normalClientAnswered(port: number): Promise<void> {
  const c = createAvroClient({ host: '127.0.0.1', port, connectTimeoutMs: 3000, requestTimeoutMs: 3000 });
  closers.push(() => c.close());
  assert.equal(await c.appendBatch(encodeBatch([textEvent('hello')])), 'OK');
}

test('frames of all connections together, charged at their declared size, stay within maxBufferedBytes: the one holding the most is closed', async () => {
  const { server, port, records } = await startServer({ maxBufferedBytes: 1_000_000 });
  const small = await rawConnection(port);
  small.socket.write(partialFrame(300_000, 100_000));
  const big = await rawConnection(port);
  big.socket.write(partialFrame(600_000, 10));
  await until('both frames charged', () => (server.bufferedBytes === 900_000 ? true : undefined));
  const third = await rawConnection(port);
  third.socket.write(partialFrame(400_000, 10));
  // 300 + 600 + 400 KB declared > 1 MB: the 600 KB one goes, the other two stay.
  await big.closed;
  assert.equal(server.counters.closedOverBudget, 1);
  assert.equal(small.socket.destroyed, false);
  assert.equal(third.socket.destroyed, false);
  assert.equal(records.filter((l) => /held exceed maxBufferedBytes/.test(String(l['msg']))).length, 1, 'logged once');
  await normalClientAnswered(port);
});

test('past maxConnections the connection quiet longest makes way, even one holding a partial frame', async () => {
  const { server, port, records } = await startServer({ maxConnections: 3 });
  const first = await rawConnection(port);
  await until('first open', () => (server.connections === 1 ? true : undefined));
  const second = await rawConnection(port);
  second.socket.write(partialFrame(1000, 10));
  await until('second mid-frame', () => (server.bufferedBytes === 1000 ? true : undefined));
  const third = await rawConnection(port);
  await until('three open', () => (server.connections === 3 ? true : undefined));
  await normalClientAnswered(port); // the fourth: first (quiet longest) makes way
  await first.closed;
  assert.equal(server.counters.closedOverLimit, 1);
  assert.equal(records.filter((l) => /maxConnections reached/.test(String(l['msg']))).length, 1);
  await rawConnection(port); // second, silent since its partial frame, makes way
  await second.closed;
  assert.equal(server.counters.closedOverLimit, 2);
  assert.equal(server.bufferedBytes, 0, 'its partial frame no longer counts');
  assert.equal(third.socket.destroyed, false);
});

test('past maxConnections while every connection has a request being served, a new one is refused', async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let serving = 0;
  const { server, port } = await startServer({
    maxConnections: 2,
    onAppendBatch: async () => {
      serving++;
      await gate;
      return 'OK';
    },
  });
  const clients = [0, 1].map(() => {
    const c = createAvroClient({ host: '127.0.0.1', port, connectTimeoutMs: 3000, requestTimeoutMs: 10_000 });
    closers.push(() => c.close());
    return c.appendBatch(encodeBatch([textEvent('held')]));
  });
  await until('both requests being served', () => (serving === 2 ? true : undefined));
  const refused = await rawConnection(port);
  await refused.closed;
  assert.equal(server.counters.closedOverLimit, 1);
  release();
  assert.deepEqual(await Promise.all(clients), ['OK', 'OK'], 'the requests being served were answered');
  await normalClientAnswered(port);
});

test('a batch of more than a million events is answered FAILED before its events are walked; the connection serves on', async () => {
  let handled = 0;
  const { server, port } = await startServer({
    onAppendBatch: async () => {
      handled++;
      return 'OK';
    },
  });
  const c = createAvroClient({ host: '127.0.0.1', port, connectTimeoutMs: 3000, requestTimeoutMs: 10_000 });
  closers.push(() => c.close());
  // 1,000,001 empty events: two zero bytes each, after the block count.
  const count = 1_000_001;
  const tiny = Buffer.alloc(4 + 2 * count + 1);
  let z = count * 2;
  let i = 0;
  while (z >= 0x80) {
    tiny[i++] = (z % 0x80) | 0x80;
    z = Math.floor(z / 0x80);
  }
  tiny[i++] = z;
  const batch = Buffer.concat([tiny.subarray(0, i + 2 * count), Buffer.from([0])]);
  assert.equal(await c.appendBatch(batch), 'FAILED');
  assert.equal(handled, 0, 'never handed on');
  assert.equal(await c.appendBatch(encodeBatch([textEvent('after')])), 'OK');
  assert.equal(server.counters.framesRejected, 0, 'not a protocol violation');
});
