import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { createAvroClient, type AvroClient, type AvroClientOptions } from '@sluice/avro-rpc';
import { Batch, type EmitOptions, encodeBatch, SluiceError, type SluiceEvent } from '@sluice/core';
import { requireOrSkip } from '@sluice/core/testing';
import { avroSource, type AvroSourceConfig } from './avro-source-factory.js';
import { FULL_WAIT_MS, type AvroSource } from './avro-source.js';
import { makeTestCertFiles } from '@sluice/avro-rpc/testing';
import { checkBusyPortRetried, configFor, FakeChannel, fakeSourceContext, sleep, type FakeSourceContext } from '../test-support.js';
import { waitUntil } from '@sluice/testkit';

const events = (bodies: string[], headers: Record<string, string> = {}): SluiceEvent[] =>
  bodies.map((b) => ({ headers: { ...headers }, body: Buffer.from(b) }));

async function setup(values: Record<string, unknown> = {}, ch = new FakeChannel(), ctx: FakeSourceContext = fakeSourceContext(ch)) {
  const source = avroSource.create(configFor(avroSource, { bind: '127.0.0.1', port: 0, ...values }), ctx) as AvroSource;
  await source.start();
  const port = source.bound().port;
  const clients: AvroClient[] = [];
  const client = (options: Partial<AvroClientOptions> = {}): AvroClient => {
    const c = createAvroClient({ host: '127.0.0.1', port, requestTimeoutMs: 5000, connectTimeoutMs: 5000, ...options });
    clients.push(c);
    return c;
  };
  const close = async (): Promise<void> => {
    await Promise.all(clients.map((c) => c.close()));
    await source.stop();
  };
  return { ch, ctx, source, port, client, close };
}

test('appendBatch is answered OK only once the batch is committed; headers and bodies arrive intact', async () => {
  const ch = new FakeChannel();
  ch.hold();
  const s = await setup({}, ch);
  try {
    const c = s.client();
    let answer: string | undefined;
    const call = c.appendBatch(encodeBatch(events(['a', 'b', 'c'], { host: 'web01' }))).then((st) => (answer = st));
    await waitUntil(() => ch.waiting === 1, 'the emit');
    await sleep(50);
    assert.equal(answer, undefined, 'nothing answered before the commit');
    ch.release();
    assert.equal(await call, 'OK');
    assert.deepEqual(ch.bodies(), ['a', 'b', 'c']);
    assert.deepEqual(ch.events()[0]!.headers, { host: 'web01' });
    assert.equal(ch.options[0]?.single, false, 'counted as an appendBatch');
  } finally {
    await s.close();
  }
});

test('append (one event) is emitted as a batch of one, to be counted as an append', async () => {
  const s = await setup();
  try {
    const one = encodeBatch(events(['single'], { k: 'v' }));
    assert.equal(await s.client().append(one.subarray(1, one.length - 1)), 'OK');
    assert.deepEqual(s.ch.bodies(), ['single']);
    assert.deepEqual(s.ch.events()[0]!.headers, { k: 'v' });
    assert.equal(s.ch.options[0]?.single, true);
  } finally {
    await s.close();
  }
});

test('the received bytes go to emitBatch untouched, with a bounded wait for a full channel', async () => {
  const seen: { bytes: Buffer; count: number; options: EmitOptions | undefined }[] = [];
  const ch = new FakeChannel();
  const ctx = fakeSourceContext(ch);
  const recording = { ...ctx, emitBatch: async (batch: Batch, options?: EmitOptions) => void seen.push({ bytes: Buffer.from(batch.bytes), count: batch.count, options }) };
  const s = await setup({}, ch, recording as FakeSourceContext);
  try {
    const sent = encodeBatch(events(Array.from({ length: 500 }, (_, i) => `event ${i} ${'x'.repeat(i % 50)}`), { a: '1', b: 'two' }));
    assert.equal(await s.client().appendBatch(sent), 'OK');
    assert.equal(seen.length, 1);
    assert.ok(seen[0]!.bytes.equals(sent), 'the channels get the bytes the client sent');
    assert.equal(seen[0]!.count, 500);
    assert.equal(seen[0]!.options?.fullWaitMs, FULL_WAIT_MS);
  } finally {
    await s.close();
  }
});

test('a full channel answers FAILED, logged once per change of state; accepting again is logged once', async () => {
  const ch = new FakeChannel().failFull(3);
  const s = await setup({}, ch);
  try {
    const c = s.client();
    for (let i = 0; i < 3; i++) assert.equal(await c.appendBatch(encodeBatch(events([`refused ${i}`]))), 'FAILED');
    assert.equal(await c.appendBatch(encodeBatch(events(['taken']))), 'OK');
    assert.deepEqual(ch.bodies(), ['taken'], 'nothing of a refused batch is kept');
    const warns = s.ctx.records.filter((r) => r.level === 40 && /did not take a batch/.test(r.msg));
    assert.equal(warns.length, 1, 'one warning for three refusals');
    assert.equal(s.ctx.records.filter((r) => /refused again/.test(r.msg)).length, 2);
    assert.equal(s.ctx.records.filter((r) => /take batches again/.test(r.msg)).length, 1);
  } finally {
    await s.close();
  }
});

test('a batch the channels can never take (over transactionCapacity) is answered FAILED and logged at error', async () => {
  const ch = new FakeChannel().failWith(new SluiceError('SLUICE_ERR_BATCH_TOO_LARGE', 'batch of 5 events exceeds transactionCapacity 2'));
  const s = await setup({}, ch);
  try {
    assert.equal(await s.client().appendBatch(encodeBatch(events(['1', '2', '3', '4', '5']))), 'FAILED');
    assert.equal(s.ctx.records.filter((r) => r.level === 50 && /cannot take this batch/.test(r.msg)).length, 1);
  } finally {
    await s.close();
  }
});

test('a busy port is retried until it is free, logged once per change of state', async () => {
  await checkBusyPortRetried((port) => {
    const ctx = fakeSourceContext(new FakeChannel());
    return { ctx, source: avroSource.create(configFor(avroSource, { bind: '127.0.0.1', port }), ctx) };
  });
});

test('compression-type = deflate talks to a deflating client', async () => {
  const s = await setup({ 'compression-type': 'deflate' });
  try {
    const c = s.client({ compression: 'deflate' });
    for (let i = 0; i < 5; i++) assert.equal(await c.appendBatch(encodeBatch(events([`d${i}`.repeat(100)]))), 'OK');
    assert.equal(s.ch.bodies().length, 5);
  } finally {
    await s.close();
  }
});

test('ipFilterRules: a denied peer is cut before any request, an allowed one is served', async () => {
  const denied = await setup({ ipFilter: true, ipFilterRules: 'deny:ip:127.0.0.*,allow:ip:*' });
  try {
    await assert.rejects(denied.client({ requestTimeoutMs: 2000 }).appendBatch(encodeBatch(events(['x']))));
    assert.equal(denied.ch.calls, 0);
    await waitUntil(() => denied.ctx.counters.get('ConnectionDeniedCount') === 1, 'ConnectionDeniedCount', 3000);
  } finally {
    await denied.close();
  }
  const allowed = await setup({ ipFilter: true, ipFilterRules: 'allow:ip:127.0.0.1,deny:ip:*' });
  try {
    assert.equal(await allowed.client().appendBatch(encodeBatch(events(['y']))), 'OK');
  } finally {
    await allowed.close();
  }
});

test('garbage from a non-Flume client closes its connection, is counted, and a good client is still served', async () => {
  const s = await setup();
  try {
    const bad = connect({ host: '127.0.0.1', port: s.port });
    const closed = new Promise<void>((resolve) => bad.once('close', () => resolve()));
    bad.on('error', () => undefined);
    bad.write(Buffer.from('GET / HTTP/1.1\r\nHost: collector\r\n\r\n'));
    await closed;
    assert.equal(await s.client().appendBatch(encodeBatch(events(['good']))), 'OK');
    await waitUntil(() => s.ctx.counters.get('MalformedRequestCount') === 1, 'MalformedRequestCount', 3000);
    assert.deepEqual(s.ch.bodies(), ['good']);
  } finally {
    await s.close();
  }
});

test('OpenConnectionCount follows the open connections', async () => {
  const s = await setup();
  try {
    const a = s.client();
    const b = s.client();
    await a.appendBatch(encodeBatch(events(['1'])));
    await b.appendBatch(encodeBatch(events(['2'])));
    assert.equal(s.ctx.counters.get('OpenConnectionCount'), 2);
    await a.close();
    await waitUntil(() => s.ctx.counters.get('OpenConnectionCount') === 1, 'the refresh after a close', 3000);
  } finally {
    await s.close();
  }
});

test('stop closes the port; later connections are refused', async () => {
  const s = await setup();
  const c = s.client({ connectTimeoutMs: 1000 });
  assert.equal(await c.appendBatch(encodeBatch(events(['before']))), 'OK');
  await s.source.stop();
  const late = createAvroClient({ host: '127.0.0.1', port: s.port, connectTimeoutMs: 1000 });
  await assert.rejects(late.appendBatch(encodeBatch(events(['after']))), (err: SluiceError) => err.code === 'SLUICE_ERR_DELIVERY');
  await late.close();
  await s.close();
});

test('TLS: PEM key + certificate, and a PKCS12 keystore whose type is taken from the file', async (t) => {
  const certs = makeTestCertFiles();
  if (typeof certs === 'string') {
    requireOrSkip(t, false, certs);
    return;
  }
  try {
    const pem = await setup({ ssl: true, 'ssl-key': certs.key, 'ssl-cert': certs.cert });
    try {
      assert.equal(await pem.client({ tls: { trustAll: true } }).appendBatch(encodeBatch(events(['pem']))), 'OK');
      await assert.rejects(pem.client({ requestTimeoutMs: 2000 }).appendBatch(encodeBatch(events(['plain']))), 'a plain client is not served');
    } finally {
      await pem.close();
    }
    const p12 = await setup({ ssl: true, keystore: certs.p12, 'keystore-password': 'changeit', 'compression-type': 'deflate' });
    try {
      const ca = [readFileSync(certs.cert)];
      const c = p12.client({ compression: 'deflate', tls: { ca } });
      assert.equal(await c.appendBatch(encodeBatch(events(['p12 + deflate']))), 'OK');
      assert.deepEqual(p12.ch.bodies(), ['p12 + deflate']);
    } finally {
      await p12.close();
    }
  } finally {
    certs.remove();
  }
});

test('TLS: a JCEKS keystore is refused at start with the keytool remedy', async (t) => {
  const certs = makeTestCertFiles();
  if (typeof certs === 'string') {
    requireOrSkip(t, false, certs);
    return;
  }
  try {
    const source = avroSource.create(
      configFor(avroSource, { bind: '127.0.0.1', port: 0, ssl: true, keystore: certs.jceks, 'keystore-password': 'x' }),
      fakeSourceContext(new FakeChannel()),
    );
    await assert.rejects(source.start(), /keytool -importkeystore -srckeystore .*ks\.jceks -srcstoretype JCEKS .*-deststoretype PKCS12/);
  } finally {
    certs.remove();
  }
});

test('TLS: a JKS keystore made by keytool serves TLS, with Flume’s default keystore-type; a wrong password names the file', async (t) => {
  const certs = makeTestCertFiles();
  if (typeof certs === 'string') {
    requireOrSkip(t, false, certs);
    return;
  }
  try {
    if (!requireOrSkip(t, certs.jks !== undefined, 'keytool is not available')) return;
    const source = avroSource.create(
      configFor(avroSource, { bind: '127.0.0.1', port: 0, ssl: true, keystore: certs.jks!, 'keystore-password': 'changeit', 'keystore-type': 'JKS' }),
      fakeSourceContext(new FakeChannel()),
    );
    await source.start();
    await source.stop();
    const wrong = avroSource.create(
      configFor(avroSource, { bind: '127.0.0.1', port: 0, ssl: true, keystore: certs.jks!, 'keystore-password': 'wrong-password' }),
      fakeSourceContext(new FakeChannel()),
    );
    await assert.rejects(wrong.start(), (err: Error) => {
      assert.ok(err.message.includes(`keystore ${certs.jks}: wrong password or corrupt JKS file (keystore-password)`), err.message);
      assert.ok(!err.message.includes('wrong-password'), err.message);
      return true;
    });
  } finally {
    certs.remove();
  }
});

test('check: every key combination that cannot work is reported', () => {
  const base = { bind: '0.0.0.0', port: 4141 };
  const errors = (values: Record<string, unknown>): string[] => {
    const config = { ...configFor(avroSource, base), ...values } as AvroSourceConfig;
    return avroSource.check!(config);
  };
  assert.deepEqual(errors({}), []);
  assert.match(errors({ ssl: true }).join(), /needs keystore/);
  assert.match(errors({ ssl: true, keystore: '/k.p12', 'ssl-key': '/k.pem', 'ssl-cert': '/c.pem' }).join(), /either keystore or ssl-key/);
  assert.match(errors({ ssl: true, 'ssl-key': '/k.pem' }).join(), /go together/);
  assert.deepEqual(errors({ ssl: true, keystore: '/etc/k.jks', 'keystore-type': 'JKS' }), []);
  assert.match(errors({ ssl: true, keystore: '/etc/k.jceks', 'keystore-type': 'JCEKS' }).join(), /keytool -importkeystore/);
  assert.match(errors({ ssl: true, keystore: '/k.p12', 'include-protocols': ['TLSv1.1', 'TLSv1.3'] }).join(), /contiguous/);
  assert.match(errors({ 'include-cipher-suites': 'TLS_AES_128_GCM_SHA256' }).join(), /ssl-ciphers/);
  assert.match(errors({ ipFilter: true }).join(), /needs ipFilterRules/);
  assert.match(errors({ ipFilter: true, ipFilterRules: 'allow:ip:*,permit:everyone' }).join(), /invalid ipFilterRules rule 'permit:everyone'/);
  assert.deepEqual(errors({ ipFilterRules: 'garbage' }), [], 'rules are only parsed when ipFilter is on, as in Flume');
});
