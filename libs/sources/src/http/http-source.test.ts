import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { test } from 'node:test';
import { makeTestCertFiles } from '@sluice/avro-rpc/testing';
import { SluiceError } from '@sluice/core';
import { requireOrSkip } from '@sluice/core/testing';
import { waitUntil } from '@sluice/testkit';
import { checkBusyPortRetried, configFor, FakeChannel, fakeSourceContext, sleep, type FakeSourceContext } from '../test-support.js';
import { BLOB_HANDLER, httpSource, type HttpSourceConfig } from './http-source-factory.js';
import { FULL_WAIT_MS, type HttpSource } from './http-source.js';

interface Reply {
  readonly status: number;
  readonly text: string;
  readonly headers: IncomingHttpHeaders;
}

interface Call {
  readonly path?: string;
  readonly method?: string;
  readonly headers?: Record<string, string | number>;
  readonly tls?: { ca: Buffer };
}

/** One request on its own connection; resolves with the reply, rejects if the connection fails. */
function send(port: number, body: string | Buffer | undefined, call: Call = {}): Promise<Reply> {
  const request = call.tls === undefined ? httpRequest : httpsRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: call.path ?? '/', method: call.method ?? 'POST', headers: call.headers, agent: false, ca: call.tls?.ca },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode!, text, headers: res.headers }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const json = (events: unknown): string => JSON.stringify(events);

async function setup(values: Record<string, unknown> = {}, ch = new FakeChannel(), ctx: FakeSourceContext = fakeSourceContext(ch)) {
  const source = httpSource.create(configFor(httpSource, { bind: '127.0.0.1', port: 0, ...values }), ctx) as HttpSource;
  await source.start();
  return { ch, ctx, source, port: source.address().port };
}

test('a POST is one batch, answered 200 only once it is committed; headers and bodies arrive intact', async () => {
  const ch = new FakeChannel();
  ch.hold();
  const s = await setup({}, ch);
  try {
    let reply: Reply | undefined;
    const call = send(s.port, json([{ headers: { host: 'web01' }, body: 'a' }, { body: 'b' }]), { headers: { 'Content-Type': 'application/json' } }).then((r) => (reply = r));
    await waitUntil(() => ch.waiting === 1, 'the emit');
    await sleep(50);
    assert.equal(reply, undefined, 'nothing answered before the commit');
    ch.release();
    assert.equal((await call).status, 200);
    assert.deepEqual(ch.batches.length, 1, 'one batch');
    assert.deepEqual(ch.bodies(), ['a', 'b']);
    assert.deepEqual(ch.events()[0]!.headers, { host: 'web01' });
    assert.equal(ch.options[0]?.fullWaitMs, FULL_WAIT_MS, 'a bounded wait for a full channel');
    assert.equal((await send(s.port, '[]')).status, 200, 'an empty array is answered 200');
    assert.equal(ch.calls, 1, 'and emits nothing');
  } finally {
    await s.source.stop();
  }
});

test('a full channel is answered 503 with Retry-After, logged once; the next batch is answered 200', async () => {
  const s = await setup();
  try {
    s.ch.failFull(2);
    for (let i = 0; i < 2; i++) {
      const refused = await send(s.port, json([{ body: `refused ${i}` }]));
      assert.equal(refused.status, 503);
      assert.equal(refused.headers['retry-after'], '1');
      assert.match(refused.text, /the channels did not take the batch: channel c1 is full/);
    }
    assert.equal((await send(s.port, json([{ body: 'accepted' }]))).status, 200);
    assert.deepEqual(s.ch.bodies(), ['accepted']);
    assert.equal(s.ctx.records.filter((r) => r.level === 40 && /did not take a batch/.test(r.msg)).length, 1);
    assert.equal(s.ctx.records.filter((r) => /take batches again/.test(r.msg)).length, 1);
    s.ch.failWith(new SluiceError('SLUICE_ERR_BATCH_TOO_LARGE', 'batch of 2 events exceeds transactionCapacity 1'));
    const never = await send(s.port, json([{ body: 'x' }, { body: 'y' }]));
    assert.equal(never.status, 500, 'a batch no retry can help is a server error');
    assert.match(never.text, /exceeds transactionCapacity/);
  } finally {
    await s.source.stop();
  }
});

test('malformed JSON, wrong shapes and unknown charsets are refused with a short reason; nothing is emitted', async () => {
  const s = await setup();
  try {
    const bad = await send(s.port, '[{"body": ');
    assert.equal(bad.status, 400);
    assert.match(bad.text, /^the body is not valid JSON/);
    const shape = await send(s.port, json([{ headers: { n: 1 }, body: 'x' }]));
    assert.equal(shape.status, 400);
    assert.equal(shape.text, 'event 0: header "n" must be a string\n');
    const charset = await send(s.port, json([{ body: 'x' }]), { headers: { 'Content-Type': 'application/json; charset=latin1' } });
    assert.equal(charset.status, 415);
    assert.equal(s.ch.calls, 0);
    assert.equal(s.ctx.counters.get('EventReadFail'), 3);
    assert.equal((await send(s.port, json([{ body: 'good' }]))).status, 200, 'the connection-level state is untouched');
  } finally {
    await s.source.stop();
  }
});

test('any method but POST is answered 405 with Allow: POST', async () => {
  const s = await setup();
  try {
    for (const method of ['GET', 'PUT', 'DELETE', 'OPTIONS']) {
      const reply = await send(s.port, method === 'PUT' ? json([{ body: 'x' }]) : undefined, { method });
      assert.equal(reply.status, 405, method);
      assert.equal(reply.headers['allow'], 'POST');
    }
    assert.equal(s.ch.calls, 0);
  } finally {
    await s.source.stop();
  }
});

test('a body past maxRequestBytes is answered 413, declared or chunked, and its connection closed', async () => {
  const s = await setup({ maxRequestBytes: 1024, maxBufferedBytes: 1024 });
  try {
    const declared = await send(s.port, json([{ body: 'x'.repeat(2000) }]));
    assert.equal(declared.status, 413);
    assert.equal(declared.headers['connection'], 'close');
    assert.match(declared.text, /exceeds 1024 bytes/);
    const big = Buffer.alloc(64 * 1024, 'x');
    const chunked = await send(s.port, big, { headers: { 'Transfer-Encoding': 'chunked' } });
    assert.equal(chunked.status, 413);
    const asking = await send(s.port, big, { headers: { Expect: '100-continue', 'Content-Length': big.length } });
    assert.equal(asking.status, 413, 'refused before the body is sent');
    const fits = json([{ body: 'y'.repeat(900) }]);
    assert.ok(Buffer.byteLength(fits) <= 1024);
    assert.equal((await send(s.port, fits)).status, 200);
    assert.equal((await send(s.port, fits, { headers: { Expect: '100-continue', 'Content-Length': Buffer.byteLength(fits) } })).status, 200);
    assert.deepEqual(s.ch.bodies(), ['y'.repeat(900), 'y'.repeat(900)]);
  } finally {
    await s.source.stop();
  }
});

test('bodies held at once are bounded by maxBufferedBytes: past it, 503', async () => {
  const ch = new FakeChannel();
  ch.hold();
  const s = await setup({ maxRequestBytes: 1000, maxBufferedBytes: 1200 }, ch);
  try {
    const body = json([{ body: 'z'.repeat(700) }]);
    const first = send(s.port, body);
    await waitUntil(() => ch.waiting === 1, 'the first batch held in its emit');
    const second = await send(s.port, body);
    assert.equal(second.status, 503);
    assert.match(second.text, /too many request bytes/);
    ch.release();
    assert.equal((await first).status, 200);
    assert.equal((await send(s.port, body)).status, 200, 'the bytes are returned once the first is answered');
  } finally {
    await s.source.stop();
  }
});

test('BlobHandler: the body is one event with the query parameters as headers; handler.maxBlobLength bounds it', async () => {
  const s = await setup({ handler: BLOB_HANDLER, 'handler.maxBlobLength': 100 });
  try {
    const bytes = Buffer.from([0, 1, 2, 0xff, 0x0a]);
    assert.equal((await send(s.port, bytes, { path: '/?file=a.log&host=web%2001' })).status, 200);
    assert.deepEqual(s.ch.events(), [{ headers: { file: 'a.log', host: 'web 01' }, body: bytes }]);
    assert.equal((await send(s.port, Buffer.alloc(101))).status, 413);
  } finally {
    await s.source.stop();
  }
});

test('stop() answers a request being committed 503 after its grace, refuses new connections, and may be called again', async () => {
  const ch = new FakeChannel();
  ch.hold();
  const s = await setup({}, ch);
  const pending = send(s.port, json([{ body: 'held' }]));
  await waitUntil(() => ch.waiting === 1, 'the emit');
  await Promise.all([s.source.stop(), s.source.stop()]);
  const reply = await pending;
  assert.equal(reply.status, 503);
  assert.match(reply.text, /stopping/);
  await assert.rejects(send(s.port, json([{ body: 'late' }])), /ECONNREFUSED/);
  await s.source.stop();
  ch.release();
});

test('stop() lets a request whose commit completes within the grace be answered 200', async () => {
  const ch = new FakeChannel();
  ch.hold();
  const s = await setup({}, ch);
  const pending = send(s.port, json([{ body: 'held' }]));
  await waitUntil(() => ch.waiting === 1, 'the emit');
  const stopped = s.source.stop();
  setTimeout(() => ch.release(), 50);
  await stopped;
  assert.equal((await pending).status, 200);
});

test('OpenConnectionCount follows the open connections', async () => {
  const s = await setup();
  try {
    const socket = connect({ host: '127.0.0.1', port: s.port });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    await waitUntil(() => s.ctx.counters.get('OpenConnectionCount') === 1, 'one connection');
    socket.destroy();
    await waitUntil(() => s.ctx.counters.get('OpenConnectionCount') === 0, 'none');
  } finally {
    await s.source.stop();
  }
});

test('a busy port is retried until it is free, logged once per change of state', async () => {
  await checkBusyPortRetried((port) => {
    const ctx = fakeSourceContext();
    return { source: httpSource.create(configFor(httpSource, { bind: '127.0.0.1', port }), ctx), ctx };
  });
});

test('TLS: a PEM key and certificate, or a PKCS12 keystore under Flume\'s older key names, serve HTTPS', async (t) => {
  const certs = makeTestCertFiles();
  if (typeof certs === 'string') {
    requireOrSkip(t, false, certs);
    return;
  }
  try {
    const ca = readFileSync(certs.cert);
    const pem = await setup({ ssl: true, 'ssl-key': certs.key, 'ssl-cert': certs.cert });
    try {
      assert.equal((await send(pem.port, json([{ body: 'over tls' }]), { tls: { ca } })).status, 200);
      assert.deepEqual(pem.ch.bodies(), ['over tls']);
      await assert.rejects(send(pem.port, json([{ body: 'plain' }])), 'a plain client is not served');
    } finally {
      await pem.source.stop();
    }
    const p12 = await setup({ enableSSL: true, keystore: certs.p12, keystorePassword: 'changeit', 'keystore-type': 'PKCS12' });
    try {
      assert.equal((await send(p12.port, json([{ body: 'p12' }]), { tls: { ca } })).status, 200);
    } finally {
      await p12.source.stop();
    }
  } finally {
    certs.remove();
  }
});

test('config: Flume\'s defaults, the port as a resource, and every key combination that cannot work reported', () => {
  const config = configFor(httpSource, { port: 5140 });
  assert.equal(config.bind, '0.0.0.0');
  assert.equal(config.handler, 'org.apache.flume.source.http.JSONHandler');
  assert.equal(config.maxRequestBytes, 16 * 1024 * 1024);
  assert.equal(config.ssl, false);
  assert.deepEqual(httpSource.resources!(config), [{ kind: 'tcp-port', host: '0.0.0.0', port: 5140, key: 'port' }]);
  assert.deepEqual(httpSource.aliases, ['org.apache.flume.source.http.HTTPSource']);
  const errors = (values: Record<string, unknown>): string[] => httpSource.check!({ ...config, ...values } as HttpSourceConfig);
  assert.deepEqual(errors({}), []);
  assert.deepEqual(errors({ handler: BLOB_HANDLER }), []);
  assert.match(errors({ handler: 'com.example.XmlHandler' }).join(), /handler: com\.example\.XmlHandler is not supported .*JSONHandler or .*BlobHandler/);
  assert.match(errors({ maxRequestBytes: 2000, maxBufferedBytes: 1000 }).join(), /maxBufferedBytes \(1000\) must be at least maxRequestBytes \(2000\)/);
  assert.match(errors({ ssl: true }).join(), /needs keystore/);
  assert.match(errors({ enableSSL: true }).join(), /needs keystore/, 'enableSSL is ssl');
  assert.match(errors({ ssl: true, keystore: '/k.p12', 'ssl-key': '/k.pem', 'ssl-cert': '/c.pem' }).join(), /either keystore or ssl-key/);
  assert.match(errors({ ssl: true, keystore: '/etc/k.jceks', 'keystore-type': 'JCEKS' }).join(), /keytool -importkeystore/);
  assert.match(errors({ ssl: true, keystore: '/k.p12', 'include-protocols': ['TLSv1.1', 'TLSv1.3'] }).join(), /contiguous/);
  assert.match(errors({ 'include-cipher-suites': 'TLS_AES_128_GCM_SHA256' }).join(), /ssl-ciphers/);
});
