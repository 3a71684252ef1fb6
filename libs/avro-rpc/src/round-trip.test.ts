import assert from 'node:assert/strict';
import * as net from 'node:net';
import { after, describe, test } from 'node:test';
import * as zlib from 'node:zlib';
import { decodeBatch, encodeBatch, SluiceError, textEvent, type ErrorCode } from '@sluice/core';
import { createAvroClient, type AvroClient, type AvroClientOptions } from './avro-client.js';
import { createAvroServer, type AppendContext, type AvroServer, type AvroServerOptions } from './avro-server.js';
import { createIpFilter, parseIpFilterRules } from './ip-filter.js';
import type { Status } from './protocol.js';
import { memoryLogger, type LogRecord } from '@sluice/testkit';
import { startScriptedPeer } from './testing/scripted-peer.js';
import { startTeeProxy } from './testing/tee-proxy.js';
import { makeTestCert } from './testing/tls-cert.js';

type Handler = (batch: Buffer, context: AppendContext) => Promise<Status>;

const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c();
});

async function startServer(
  onAppendBatch: Handler,
  extra: Partial<AvroServerOptions> = {},
): Promise<{ server: AvroServer; port: number; records: LogRecord[] }> {
  const log = memoryLogger();
  const server = createAvroServer({ host: '127.0.0.1', port: 0, logger: log.logger, onAppendBatch, ...extra });
  const { port } = await server.listen();
  closers.push(() => server.close());
  return { server, port, records: log.records };
}

function client(port: number, extra: Partial<AvroClientOptions> = {}): AvroClient {
  const c = createAvroClient({ host: '127.0.0.1', port, connectTimeoutMs: 3000, requestTimeoutMs: 3000, ...extra });
  closers.push(() => c.close());
  return c;
}

function isSluiceError(code: ErrorCode, retriable?: boolean) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof SluiceError, `expected a SluiceError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (retriable !== undefined) assert.equal(err.retriable, retriable);
    return true;
  };
}

const sampleBatch = (n: number, tag = 'e'): Buffer =>
  encodeBatch(Array.from({ length: n }, (_, i) => textEvent(`${tag} ${i} ${'x'.repeat(i % 50)}`, { seq: String(i), tag })));

/** A recording handler answering `status`. */
function recorder(status: Status = 'OK') {
  const got: { batch: Buffer; context: AppendContext }[] = [];
  const handler: Handler = async (batch, context) => {
    got.push({ batch: Buffer.from(batch), context });
    return status;
  };
  return { got, handler };
}

const cert = makeTestCert();
// Skipped with the reason where openssl is missing, but CI installs it (scripts/ci-deps.sh): fail there.
if (typeof cert === 'string' && process.env['CI'] === 'true') throw new Error(`${cert}: CI must provide openssl`);
const tlsSkip = typeof cert === 'string' ? cert : false;

describe('client ↔ server on 127.0.0.1', () => {
  test('plain: batches arrive byte for byte, in order, and append arrives as a batch of one', async () => {
    const r = recorder();
    const { port, server } = await startServer(r.handler);
    const c = client(port);
    const batches = [sampleBatch(1), sampleBatch(100), sampleBatch(3000, 'big')];
    for (const b of batches) assert.equal(await c.appendBatch(b), 'OK');
    const event = encodeBatch([textEvent('solo', { k: 'v' })]).subarray(1, -1);
    assert.equal(await c.append(event), 'OK');
    assert.deepEqual(
      r.got.slice(0, 3).map((g) => g.batch.equals(batches[r.got.indexOf(g)]!)),
      [true, true, true],
    );
    assert.deepEqual(
      r.got.map((g) => [g.context.message, g.context.framing.starts.length]),
      [
        ['appendBatch', 1],
        ['appendBatch', 100],
        ['appendBatch', 3000],
        ['append', 1],
      ],
    );
    assert.equal(decodeBatch(r.got[3]!.batch)[0]!.body.toString(), 'solo');
    assert.equal(server.connections, 1);
    assert.equal(c.stats.connectionsCreated, 1);
  });

  test('deflate at several levels', async () => {
    const r = recorder();
    const { port } = await startServer(r.handler, { compression: 'deflate' });
    for (const level of [1, 6, 9]) {
      const c = client(port, { compression: 'deflate', compressionLevel: level });
      const b = sampleBatch(500, `level${level}`);
      assert.equal(await c.appendBatch(b), 'OK');
      assert.equal(await c.appendBatch(b), 'OK');
      await c.close();
      assert.ok(r.got.at(-1)!.batch.equals(b));
    }
    assert.equal(r.got.length, 6);
  });

  test('a deflate client against a plain server fails retriably, and the server counts the garbage', async () => {
    const { port, server } = await startServer(recorder().handler);
    const c = client(port, { compression: 'deflate', requestTimeoutMs: 1000 });
    await assert.rejects(c.appendBatch(sampleBatch(10)), (err: unknown) => {
      assert.ok(err instanceof SluiceError && err.retriable, String(err));
      return true;
    });
    assert.equal(server.counters.framesRejected, 1);
  });

  test('TLS with PEM key and certificate, hostname verified', { skip: tlsSkip }, async () => {
    const tc = cert as Exclude<typeof cert, string>;
    const r = recorder();
    const { port } = await startServer(r.handler, { tls: { key: tc.key, cert: tc.cert } });
    const c = client(port, { tls: { ca: tc.cert } });
    assert.equal(await c.appendBatch(sampleBatch(50)), 'OK');
    assert.equal(r.got.length, 1);
  });

  test('TLS with a PKCS#12 keystore; an untrusted certificate is refused unless trust-all', { skip: tlsSkip }, async () => {
    const tc = cert as Exclude<typeof cert, string>;
    const r = recorder();
    const { port } = await startServer(r.handler, { tls: { pfx: tc.pfx, passphrase: tc.passphrase } });
    const untrusting = client(port, { tls: {} });
    await assert.rejects(untrusting.appendBatch(sampleBatch(1)), isSluiceError('SLUICE_ERR_DELIVERY', true));
    assert.equal(untrusting.stats.connectionsFailed, 1);
    const trusting = client(port, { tls: { trustAll: true } });
    assert.equal(await trusting.appendBatch(sampleBatch(1)), 'OK');
    assert.equal(r.got.length, 1);
  });

  test('a plain client against a TLS server fails retriably; the server counts it', { skip: tlsSkip }, async () => {
    const tc = cert as Exclude<typeof cert, string>;
    const { port, server } = await startServer(recorder().handler, { tls: { key: tc.key, cert: tc.cert } });
    const c = client(port, { requestTimeoutMs: 2000 });
    await assert.rejects(c.appendBatch(sampleBatch(1)), isSluiceError('SLUICE_ERR_DELIVERY', true));
    assert.equal(server.counters.framesRejected, 1);
  });

  test('TLS + deflate: zlib next to the socket, TLS inside it (Flume 1.11 layering)', { skip: tlsSkip }, async () => {
    const tc = cert as Exclude<typeof cert, string>;
    const r = recorder();
    const { port } = await startServer(r.handler, { tls: { key: tc.key, cert: tc.cert }, compression: 'deflate' });
    const proxy = await startTeeProxy(port);
    closers.push(() => proxy.close());
    const c = client(proxy.port, { tls: { ca: tc.cert }, compression: 'deflate' });
    const b = sampleBatch(200);
    assert.equal(await c.appendBatch(b), 'OK');
    assert.ok(r.got[0]!.batch.equals(b));
    const sync = { finishFlush: zlib.constants.Z_SYNC_FLUSH };
    for (const direction of [proxy.c2s, proxy.s2c]) {
      const onWire = Buffer.concat(direction);
      assert.equal(onWire.subarray(0, 2).toString('hex'), '789c', 'the socket carries a zlib stream');
      const inner = zlib.inflateSync(onWire, sync);
      assert.equal(inner[0], 0x16, 'inside it, TLS records (handshake)');
      assert.equal(inner[1], 0x03);
      assert.ok(!inner.includes(b.subarray(0, 64)), 'the batch is encrypted');
    }
  });

  test('idle connections (plain and TLS) outlive the stall timeout; only a stalled frame is cut', async () => {
    const tc = typeof cert === 'string' ? undefined : cert;
    for (const tlsOptions of tc ? [undefined, { key: tc.key, cert: tc.cert }] : [undefined]) {
      const { port, server } = await startServer(recorder().handler, { stallTimeoutMs: 400, tls: tlsOptions });
      const c = client(port, tlsOptions && tc ? { tls: { ca: tc.cert } } : {});
      assert.equal(await c.appendBatch(sampleBatch(1)), 'OK');
      await new Promise((r) => setTimeout(r, 700));
      assert.equal(await c.appendBatch(sampleBatch(1)), 'OK');
      assert.equal(c.stats.connectionsCreated, 1, 'the same connection was kept');
      assert.equal(server.counters.framesRejected, 0);
    }
    const { port, server, records } = await startServer(recorder().handler, { stallTimeoutMs: 150 });
    const peer = net.connect({ host: '127.0.0.1', port });
    peer.on('error', () => undefined);
    const closed = new Promise((resolve) => peer.once('close', resolve));
    peer.write(Buffer.from('0000000100000001000000ff01020304', 'hex')); // a frame that never completes
    await closed;
    assert.equal(server.counters.framesRejected, 1);
    assert.ok(records.some((l) => /stalled/.test(String(l['reason'])) && l['level'] === 40), 'logged at warn with its reason');
  });

  test('a server answering FAILED: the status is returned, not thrown', async () => {
    const { port } = await startServer(recorder('FAILED').handler);
    const c = client(port);
    assert.equal(await c.appendBatch(sampleBatch(5)), 'FAILED');
    assert.equal(await c.appendBatch(sampleBatch(5)), 'FAILED');
    assert.equal(c.stats.connectionsCreated, 1, 'FAILED does not cost the connection');
  });

  test('a handler that throws is answered FAILED, logged and counted', async () => {
    const { port, server, records } = await startServer(async () => {
      throw new Error('channel exploded');
    });
    const c = client(port);
    assert.equal(await c.appendBatch(sampleBatch(5)), 'FAILED');
    assert.equal(server.counters.handlerFailures, 1);
    assert.ok(records.some((l) => l['level'] === 50 && JSON.stringify(l['err']).includes('channel exploded')));
  });

  test('a server that never answers: SLUICE_ERR_TIMEOUT (retriable), then a fresh connection', async () => {
    const ok = Buffer.from('000000010000000300000004000000000000000100000000020000', 'hex');
    const peer = await startScriptedPeer({ reply: (_n, _f, conn) => (conn === 0 ? null : ok) });
    closers.push(() => peer.close());
    const c = client(peer.port, { requestTimeoutMs: 300 });
    await assert.rejects(c.appendBatch(sampleBatch(3)), isSluiceError('SLUICE_ERR_TIMEOUT', true));
    assert.equal(c.stats.timeouts, 1);
    assert.equal(c.connected, false, 'the timed-out connection was dropped');
    assert.equal(await c.appendBatch(sampleBatch(3)), 'OK');
    assert.equal(c.stats.connectionsCreated, 2);
    assert.equal(peer.connections.length, 2);
  });

  test('a server that accepts and holds the batch: the timeout fires while the handler is busy', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const { port } = await startServer(async () => {
      await held;
      return 'OK';
    });
    const c = client(port, { requestTimeoutMs: 200 });
    await assert.rejects(c.appendBatch(sampleBatch(1)), isSluiceError('SLUICE_ERR_TIMEOUT', true));
    release();
  });

  test('concurrent batches on separate clients: all delivered, each connection served in order, one at a time', async () => {
    const inFlight = new Map<number, number>();
    let maxPerConnection = 0;
    const seen = new Map<string, number[]>();
    const { port, server } = await startServer(async (batch, context) => {
      const id = context.peer.id;
      inFlight.set(id, (inFlight.get(id) ?? 0) + 1);
      maxPerConnection = Math.max(maxPerConnection, inFlight.get(id)!);
      await new Promise((r) => setTimeout(r, 1));
      const first = decodeBatch(batch)[0]!;
      const list = seen.get(first.headers['tag']!) ?? [];
      list.push(Number(first.headers['n']));
      seen.set(first.headers['tag']!, list);
      inFlight.set(id, inFlight.get(id)! - 1);
      return 'OK';
    });
    const clients = Array.from({ length: 4 }, () => client(port));
    const perClient = 20;
    const results = await Promise.all(
      clients.map(async (c, ci) => {
        // Each client pipelines its batches: all sent at once, answered in order.
        const calls = Array.from({ length: perClient }, (_, n) =>
          c.appendBatch(encodeBatch([textEvent(`c${ci} b${n}`, { tag: `c${ci}`, n: String(n) })])),
        );
        return Promise.all(calls);
      }),
    );
    assert.deepEqual(results.flat(), Array(4 * perClient).fill('OK'));
    for (let ci = 0; ci < 4; ci++) assert.deepEqual(seen.get(`c${ci}`), Array.from({ length: perClient }, (_, n) => n));
    assert.equal(maxPerConnection, 1);
    assert.equal(server.counters.connectionsOpened, 4);
  });

  test('a refused connection and an unresolvable name reject retriably', async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const freePort = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const c = client(freePort);
    await assert.rejects(c.appendBatch(sampleBatch(1)), isSluiceError('SLUICE_ERR_DELIVERY', true));
    assert.equal(c.stats.connectionsFailed, 1);
    const nowhere = createAvroClient({ host: 'no-such-host.invalid', port: 4141, connectTimeoutMs: 2000 });
    await assert.rejects(nowhere.appendBatch(sampleBatch(1)), (err: unknown) => {
      assert.ok(err instanceof SluiceError && err.retriable, String(err));
      return true;
    });
    await nowhere.close();
  });

  test('abort: the call rejects with SLUICE_ERR_STOPPED and the next call reconnects', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    const { port } = await startServer(async () => {
      if (calls++ === 0) await held;
      return 'OK';
    });
    const c = client(port);
    const ac = new AbortController();
    const pending = c.appendBatch(sampleBatch(1), { signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    await assert.rejects(pending, isSluiceError('SLUICE_ERR_STOPPED'));
    release();
    assert.equal(await c.appendBatch(sampleBatch(1)), 'OK');
    assert.equal(c.stats.connectionsCreated, 2);
  });

  test('reconnect(): the next call uses a new connection; close() rejects later calls', async () => {
    const { port, server } = await startServer(recorder().handler);
    const c = client(port);
    assert.equal(await c.appendBatch(sampleBatch(1)), 'OK');
    c.reconnect();
    assert.equal(await c.appendBatch(sampleBatch(1)), 'OK');
    assert.equal(c.stats.connectionsCreated, 2);
    assert.equal(server.counters.connectionsOpened, 2);
    await c.close();
    await assert.rejects(c.appendBatch(sampleBatch(1)), isSluiceError('SLUICE_ERR_STOPPED'));
  });

  test('close() of the client rejects a pending call with SLUICE_ERR_STOPPED', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const { port } = await startServer(async () => {
      await held;
      return 'OK';
    });
    const c = client(port);
    const outcome = assert.rejects(c.appendBatch(sampleBatch(1)), isSluiceError('SLUICE_ERR_STOPPED'));
    await new Promise((r) => setTimeout(r, 20));
    await c.close();
    await outcome;
    release();
  });

  test('server close() lets the request in progress finish and answers it, then closes', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inHandler = new Promise<void>((resolve) => (entered = resolve));
    const log = memoryLogger();
    const server = createAvroServer({
      host: '127.0.0.1',
      port: 0,
      logger: log.logger,
      onAppendBatch: async () => {
        entered();
        await held;
        return 'OK';
      },
    });
    const { port } = await server.listen();
    const c = client(port);
    const pending = c.appendBatch(sampleBatch(1));
    await inHandler;
    const closing = server.close();
    setTimeout(release, 20);
    assert.equal(await pending, 'OK');
    await closing;
    assert.equal(server.connections, 0);
    assert.equal(server.counters.connectionsClosed, 1);
  });

  test('ipFilter: first matching rule wins; refused peers are counted, never served', async () => {
    const r = recorder();
    const deny = await startServer(r.handler, {
      ipFilter: createIpFilter(parseIpFilterRules('allow:ip:10.*, deny:ip:127.0.0.*, allow:ip:*')),
    });
    const c1 = client(deny.port, { requestTimeoutMs: 1000 });
    await assert.rejects(c1.appendBatch(sampleBatch(1)), (err: unknown) => err instanceof SluiceError && err.retriable);
    assert.equal(deny.server.counters.connectionsDenied, 1);
    assert.equal(r.got.length, 0);
    const allow = await startServer(r.handler, { ipFilter: createIpFilter(parseIpFilterRules('allow:name:localhost,deny:ip:*')) });
    assert.equal(await client(allow.port).appendBatch(sampleBatch(1)), 'OK');
    assert.equal(r.got.length, 1);
  });

  test('listening on a port in use is a SLUICE_ERR_CONFIG', async () => {
    const { port } = await startServer(recorder().handler);
    const second = createAvroServer({ host: '127.0.0.1', port, logger: memoryLogger().logger, onAppendBatch: recorder().handler });
    await assert.rejects(second.listen(), isSluiceError('SLUICE_ERR_CONFIG'));
  });
});
