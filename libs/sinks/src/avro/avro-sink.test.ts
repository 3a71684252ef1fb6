import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import pino from 'pino';
import { createAvroServer, type AvroServer, type AvroServerOptions, type Status } from '@sluice/avro-rpc';
import { type Batch, decodeBatch, type Delivery, SluiceError } from '@sluice/core';
import { requireOrSkip } from '@sluice/core/testing';
import { avroSink, type AvroSinkConfig } from './avro-sink-factory.js';
import type { AvroSink } from './avro-sink.js';
import { makeTestCertFiles } from '@sluice/avro-rpc/testing';
import { configFor, fakeContext, NO_SIGNAL, textBatch, waitUntil, type FakeContext } from '../test-support.js';

const silent = pino({ level: 'silent' });

/** An avro source stand-in: records every batch (bytes as received) and answers `answer()`. */
async function collector(
  answer: () => Status = () => 'OK',
  options: Partial<AvroServerOptions> = {},
): Promise<{ server: AvroServer; port: number; received: Buffer[]; peers: Set<number> }> {
  const received: Buffer[] = [];
  const peers = new Set<number>();
  const server = createAvroServer({
    host: '127.0.0.1',
    port: 0,
    logger: silent,
    onAppendBatch: async (batch, context) => {
      received.push(Buffer.from(batch));
      peers.add(context.peer.id);
      return answer();
    },
    ...options,
  });
  const { port } = await server.listen();
  return { server, port, received, peers };
}

/** Accepts connections and never answers. */
async function blackhole(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('data', () => undefined);
    s.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function sink(values: Record<string, unknown>, ctx: FakeContext = fakeContext('k1')): Promise<{ sink: AvroSink; ctx: FakeContext }> {
  const s = avroSink.create(configFor(avroSink, { hostname: '127.0.0.1', ...values }), ctx) as AvroSink;
  await s.start();
  return { sink: s, ctx };
}

const warnings = (ctx: FakeContext, re: RegExp) => ctx.records.filter((r) => r.level === 40 && re.test(r.msg));
const infos = (ctx: FakeContext, re: RegExp) => ctx.records.filter((r) => r.level === 30 && re.test(r.msg));

function errorOf(d: Delivery): SluiceError {
  assert.ok(d.status !== 'ok' && d.error instanceof SluiceError, 'a failed delivery carries a SluiceError');
  return d.error;
}

function bodies(bytes: Buffer): string[] {
  return decodeBatch(bytes).map((e) => e.body.toString());
}

test('a batch is forwarded as the exact bytes taken; OK → ok; connection counters', async () => {
  const c = await collector();
  const { sink: k, ctx } = await sink({ port: c.port, 'batch-size': 3 });
  try {
    const full: Batch = textBatch(['a', 'b', 'c'], { host: 'web01' });
    const under: Batch = textBatch(['d']);
    assert.deepEqual(await k.deliver(full, NO_SIGNAL), { status: 'ok' });
    assert.deepEqual(await k.deliver(under, NO_SIGNAL), { status: 'ok' });
    assert.equal(c.received.length, 2);
    assert.ok(c.received[0]!.equals(full.bytes), 'the bytes the source received are the bytes taken');
    assert.deepEqual(bodies(c.received[1]!), ['d']);
    const n = ctx.counters;
    assert.equal(n.get('ConnectionCreatedCount'), 1);
    assert.equal(n.get('ConnectionFailedCount'), 0);
    assert.equal(infos(ctx, /Connected to the avro source/).length, 1);
  } finally {
    await k.stop();
    await c.server.close();
  }
  assert.equal(ctx.counters.get('ConnectionClosedCount'), 1);
});

test('FAILED → retry, the connection is replaced, one warning for a run of failures, one info on recovery', async () => {
  let answer: Status = 'FAILED';
  const c = await collector(() => answer);
  const { sink: k, ctx } = await sink({ port: c.port });
  try {
    for (let i = 0; i < 3; i++) {
      const d = await k.deliver(textBatch([`x${i}`]), NO_SIGNAL);
      assert.equal(d.status, 'retry');
      assert.match(errorOf(d).message, /answered FAILED/);
    }
    answer = 'UNKNOWN';
    assert.equal((await k.deliver(textBatch(['u']), NO_SIGNAL)).status, 'retry', 'UNKNOWN is a failure too');
    answer = 'OK';
    assert.equal((await k.deliver(textBatch(['ok']), NO_SIGNAL)).status, 'ok');
    assert.equal(warnings(ctx, /Cannot deliver/).length, 1);
    assert.equal(infos(ctx, /Delivering to the avro source again/).length, 1);
    assert.equal(infos(ctx, /Delivering to the avro source again/)[0]!['failedAttempts'], 4);
    assert.equal(c.peers.size, 5, 'each refused batch dropped its connection, as Flume does');
  } finally {
    await k.stop();
    await c.server.close();
  }
});

test('a collector that never answers: request-timeout fires and the batch is retried', async () => {
  const hole = await blackhole();
  const { sink: k, ctx } = await sink({ port: hole.port, 'request-timeout': 1000 });
  try {
    const started = Date.now();
    const d = await k.deliver(textBatch(['lost?']), NO_SIGNAL);
    const took = Date.now() - started;
    assert.equal(d.status, 'retry');
    assert.equal(errorOf(d).code, 'SLUICE_ERR_TIMEOUT');
    assert.ok(took >= 900 && took < 5000, `answered after ${took} ms`);
    assert.equal((await k.deliver(textBatch(['again']), NO_SIGNAL)).status, 'retry');
    assert.equal(warnings(ctx, /Cannot deliver/).length, 1);
    assert.equal(ctx.counters.get('ConnectionCreatedCount'), 2, 'a timed-out connection is not reused');
  } finally {
    await k.stop();
    await hole.close();
  }
});

test('timeouts under a second fall back to the default of 20 s, with a warning', async () => {
  const ctx = fakeContext('k1');
  const k = avroSink.create(configFor(avroSink, { hostname: '127.0.0.1', port: 9, 'connect-timeout': 500, 'request-timeout': 10 }), ctx);
  const w = ctx.records.filter((r) => r.level === 40 && /using the default/.test(r.msg));
  assert.deepEqual(
    w.map((r) => [r['key'], r['configured'], r['used']]),
    [
      ['connect-timeout', 500, 20000],
      ['request-timeout', 10, 20000],
    ],
  );
  await k.stop();
});

test('a refused connection and an unresolvable host name are retries, logged once each', async () => {
  const hole = await blackhole();
  const port = hole.port;
  await hole.close(); // nothing listens there now
  const refused = await sink({ port, 'connect-timeout': 2000 });
  const nowhere = await sink({ hostname: 'no-such-host.invalid', port: 4141, 'connect-timeout': 5000 }, fakeContext('k2'));
  try {
    for (const { sink: k, ctx } of [refused, nowhere]) {
      for (let i = 0; i < 3; i++) {
        const d = await k.deliver(textBatch(['x']), NO_SIGNAL);
        assert.equal(d.status, 'retry');
        assert.equal(errorOf(d).code, 'SLUICE_ERR_DELIVERY');
      }
      assert.equal(warnings(ctx, /Cannot (connect|deliver)/).length, 1);
      assert.ok(ctx.counters.get('ConnectionFailedCount') >= 3, `ConnectionFailedCount ${ctx.counters.get('ConnectionFailedCount')}`);
    }
    assert.match(String((warnings(nowhere.ctx, /Cannot (connect|deliver)/)[0]!['err'] as { message: string }).message), /no-such-host\.invalid/);
  } finally {
    await refused.sink.stop();
    await nowhere.sink.stop();
  }
});

test('reset-connection-interval opens a new connection once the current one is older than the interval', async () => {
  const c = await collector();
  const resetting = await sink({ port: c.port, 'reset-connection-interval': 1 });
  try {
    await waitUntil(() => resetting.ctx.counters.get('ConnectionCreatedCount') === 1, 'the connection made at start');
    assert.equal((await resetting.sink.deliver(textBatch(['1']), NO_SIGNAL)).status, 'ok');
    assert.equal((await resetting.sink.deliver(textBatch(['2']), NO_SIGNAL)).status, 'ok');
    assert.equal(c.peers.size, 1);
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal((await resetting.sink.deliver(textBatch(['3']), NO_SIGNAL)).status, 'ok');
    assert.equal(c.peers.size, 2, 'the batch after the interval went over a new connection');
    assert.equal(resetting.ctx.counters.get('ConnectionCreatedCount'), 2);
    await waitUntil(() => c.server.connections === 1, 'the old connection closed');
  } finally {
    await resetting.sink.stop();
  }
  const steady = await sink({ port: c.port });
  try {
    await steady.sink.deliver(textBatch(['a']), NO_SIGNAL);
    await new Promise((r) => setTimeout(r, 1100));
    await steady.sink.deliver(textBatch(['b']), NO_SIGNAL);
    assert.equal(steady.ctx.counters.get('ConnectionCreatedCount'), 1, 'interval 0: the connection is kept');
  } finally {
    await steady.sink.stop();
    await c.server.close();
  }
});

test('deflate, at the configured level, talks to a deflating source', async () => {
  const c = await collector(() => 'OK', { compression: 'deflate' });
  const { sink: k } = await sink({ port: c.port, 'compression-type': 'deflate', 'compression-level': 9 });
  try {
    for (let i = 0; i < 5; i++) assert.equal((await k.deliver(textBatch([`line ${i} `.repeat(50)]), NO_SIGNAL)).status, 'ok');
    assert.equal(c.received.length, 5);
  } finally {
    await k.stop();
    await c.server.close();
  }
});

test('an aborted delivery (the agent stopping) is a retry without a failure warning', async () => {
  const hole = await blackhole();
  const { sink: k, ctx } = await sink({ port: hole.port });
  try {
    const abort = new AbortController();
    const pending = k.deliver(textBatch(['x']), abort.signal);
    setTimeout(() => abort.abort(), 50);
    assert.equal((await pending).status, 'retry');
    assert.equal(warnings(ctx, /Cannot deliver/).length, 0);
  } finally {
    await k.stop();
    await hole.close();
  }
});

test('TLS: truststore (PEM and PKCS12), trust-all-certs, and a TLS mismatch logged once', async (t) => {
  const certs = makeTestCertFiles();
  if (typeof certs === 'string') {
    requireOrSkip(t, false, certs);
    return;
  }
  const secure = await collector(() => 'OK', { tls: { key: readFileSync(certs.key), cert: readFileSync(certs.cert) } });
  const plain = await collector();
  const sinks: AvroSink[] = [];
  try {
    for (const values of [
      { truststore: certs.cert },
      { truststore: certs.p12, 'truststore-password': 'changeit', 'truststore-type': 'PKCS12' },
      { 'trust-all-certs': true },
    ]) {
      const { sink: k } = await sink({ port: secure.port, ssl: true, ...values });
      sinks.push(k);
      assert.equal((await k.deliver(textBatch(['secret']), NO_SIGNAL)).status, 'ok', JSON.stringify(values));
    }
    assert.equal(secure.received.length, 3);
    // The system CA store does not know the self-signed certificate.
    const untrusted = await sink({ port: secure.port, ssl: true, 'connect-timeout': 3000 });
    sinks.push(untrusted.sink);
    // ssl on one side only.
    const mismatch = await sink({ port: plain.port, ssl: true, 'trust-all-certs': true, 'connect-timeout': 2000, 'request-timeout': 2000 }, fakeContext('k2'));
    sinks.push(mismatch.sink);
    for (const { sink: k, ctx } of [untrusted, mismatch]) {
      for (let i = 0; i < 2; i++) assert.equal((await k.deliver(textBatch(['x']), NO_SIGNAL)).status, 'retry');
      assert.equal(warnings(ctx, /Cannot (connect|deliver)/).length, 1);
    }
    assert.equal(plain.received.length, 0);
  } finally {
    for (const k of sinks) await k.stop();
    await secure.server.close();
    await plain.server.close();
    certs.remove();
  }
});

test('TLS: a JCEKS truststore is refused at start with the keytool remedy; a JKS one is read, a wrong password names the file', async (t) => {
  const certs = makeTestCertFiles();
  if (typeof certs === 'string') {
    requireOrSkip(t, false, certs);
    return;
  }
  try {
    const k = avroSink.create(configFor(avroSink, { hostname: '127.0.0.1', port: 4141, ssl: true, truststore: certs.jceks }), fakeContext());
    await assert.rejects(k.start(), /avro sink k1: truststore .*ks\.jceks is a JCEKS keystore.*keytool -importkeystore/);
    if (!requireOrSkip(t, certs.jksTrust !== undefined, 'keytool is not available')) return;
    const wrong = avroSink.create(configFor(avroSink, { hostname: '127.0.0.1', port: 4141, ssl: true, truststore: certs.jksTrust!, 'truststore-password': 'wrong-password' }), fakeContext());
    await assert.rejects(wrong.start(), (err: Error) => {
      assert.ok(err.message.includes(`truststore ${certs.jksTrust}: wrong password or corrupt JKS file (truststore-password)`), err.message);
      assert.ok(!err.message.includes('wrong-password'), err.message);
      return true;
    });
  } finally {
    certs.remove();
  }
});

test('check: Java cipher suites, a JCEKS truststore type and an impossible protocol range are errors', () => {
  const errors = (values: Record<string, unknown>): string[] =>
    avroSink.check!({ ...configFor(avroSink, { hostname: 'collector', port: 4141 }), ...values } as AvroSinkConfig);
  assert.deepEqual(errors({}), []);
  assert.match(errors({ 'exclude-cipher-suites': 'TLS_RSA_WITH_NULL_SHA' }).join(), /ssl-ciphers/);
  assert.deepEqual(errors({ ssl: true, truststore: '/t.jks', 'truststore-type': 'JKS' }), []);
  assert.match(errors({ ssl: true, truststore: '/t.jceks', 'truststore-type': 'JCEKS' }).join(), /keytool/);
  assert.match(errors({ ssl: true, 'include-protocols': ['TLSv1.2'], 'exclude-protocols': ['TLSv1.2'] }).join(), /no TLS version/);
});

test('a collector that is down at start: one connect warning, then delivery once it is up', async () => {
  const port = await (async () => {
    const hole = await blackhole();
    await hole.close();
    return hole.port;
  })();
  const { sink: k, ctx } = await sink({ port });
  try {
    await waitUntil(() => warnings(ctx, /Cannot connect to the avro source/).length === 1, 'the connect warning');
    assert.equal((await k.deliver(textBatch(['early']), NO_SIGNAL)).status, 'retry');
    const c = await collector(() => 'OK', { port });
    try {
      assert.equal((await k.deliver(textBatch(['late']), NO_SIGNAL)).status, 'ok');
      assert.deepEqual(bodies(c.received[0]!), ['late']);
      assert.equal(warnings(ctx, /Cannot (connect|deliver)/).length, 1, 'still one warning for the whole outage');
      assert.equal(infos(ctx, /Delivering to the avro source again/).length, 1);
    } finally {
      await c.server.close();
    }
  } finally {
    await k.stop();
  }
});
