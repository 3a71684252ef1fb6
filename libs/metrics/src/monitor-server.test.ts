import assert from 'node:assert/strict';
import { connect, createServer, type Socket } from 'node:net';
import { request } from 'node:http';
import { after, test } from 'node:test';
import { SluiceError } from '@sluice/core';
import { memoryLogger } from '@sluice/testkit';
import { MonitorServer } from './monitor-server.js';
import { parsePrometheusText } from './prometheus-text.js';
import type { AgentSnapshot } from './snapshot.js';
import { agent, worker } from './test-fixtures.js';

const HOST = '127.0.0.1';

const servers: MonitorServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

async function serve(snapshot: () => AgentSnapshot, logger = memoryLogger('info').logger): Promise<string> {
  const server = new MonitorServer({ host: HOST, port: 0, snapshot, logger });
  servers.push(server);
  const { host, port } = await server.start();
  assert.equal(host, HOST);
  assert.ok(port > 0);
  return `http://${host}:${port}`;
}

/** A raw TCP connection, resolved once connected; `closed` resolves when it closes, `received` holds what the server sent. */
function connectRaw(port: number): Promise<{ socket: Socket; closed: Promise<void>; received: () => string }> {
  return new Promise((resolve, reject) => {
    let received = '';
    const socket = connect(port, HOST);
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (received += d));
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', () => {}); // a reset from the server shows as 'close' too
      resolve({ socket, closed, received: () => received });
    });
    socket.once('error', reject);
  });
}

/** Resolves once `cond` holds; rejects after 5 s. */
async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A raw request (fetch refuses TRACE). */
function send(base: string, method: string, path: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

test('GET /metrics answers Flume\'s JSON', async () => {
  const base = await serve(() => agent());
  const res = await fetch(`${base}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type')!, /^application\/json/);
  const json = (await res.json()) as Record<string, Record<string, string>>;
  assert.equal(json['CHANNEL.c1']!['EventPutSuccessCount'], '25');
  assert.equal(json['CHANNEL.c1']!['Type'], 'CHANNEL');
  assert.equal(json['WORKER.sink:k1']!['Pid'], '4243');
  const withQuery = await fetch(`${base}/metrics?x=1`);
  assert.equal(withQuery.status, 200);
  await withQuery.body?.cancel();
});

test('GET /metrics/prometheus answers the Prometheus text format with its content type', async () => {
  let n = 25;
  const base = await serve(() => agent({ components: [{ ...agent().components[0]!, values: { EventPutSuccessCount: n } }] }));
  const first = await fetch(`${base}/metrics/prometheus`);
  assert.equal(first.status, 200);
  assert.equal(first.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  const sample = (text: string) => parsePrometheusText(text).samples.find((s) => s.name === 'sluice_channel_event_put_success_total')!.value;
  assert.equal(sample(await first.text()), 25);
  n = 40;
  assert.equal(sample(await (await fetch(`${base}/metrics/prometheus`)).text()), 40, 'each scrape reads a fresh snapshot');
});

test('GET /health: 200 while running, 503 naming the failed worker', async () => {
  let snapshot = agent();
  const base = await serve(() => snapshot);
  const ok = await fetch(`${base}/health`);
  assert.equal(ok.status, 200);
  assert.equal(((await ok.json()) as { status: string }).status, 'ok');
  snapshot = agent({ workers: [worker({ id: 'sink:k1', state: 'failed', pid: null, failure: 'exited 20 times within 600 s' })] });
  const bad = await fetch(`${base}/health`);
  assert.equal(bad.status, 503);
  const body = (await bad.json()) as { reason: string; failed: { worker: string }[] };
  assert.match(body.reason, /sink:k1 failed: exited 20 times/);
  assert.deepEqual(body.failed.map((f) => f.worker), ['sink:k1']);
});

test('GET / links the three endpoints; TRACE and OPTIONS 403, unknown paths 404, other methods 405, HEAD like GET', async () => {
  const base = await serve(() => agent());
  const index = await send(base, 'GET', '/');
  assert.equal(index.status, 200);
  assert.match(String(index.headers['content-type']), /^text\/html/);
  for (const href of ['/metrics', '/metrics/prometheus', '/health']) assert.ok(index.body.includes(`href="${href}"`), href);
  assert.equal((await send(base, 'TRACE', '/metrics')).status, 403);
  assert.equal((await send(base, 'OPTIONS', '/')).status, 403);
  assert.equal((await send(base, 'GET', '/nope')).status, 404);
  assert.equal((await send(base, 'GET', '/metrics/')).status, 404);
  const post = await send(base, 'POST', '/metrics');
  assert.equal(post.status, 405);
  assert.equal(post.headers['allow'], 'GET, HEAD');
  const head = await send(base, 'HEAD', '/metrics');
  assert.equal(head.status, 200);
  assert.equal(head.body, '');
  assert.ok(Number(head.headers['content-length']) > 0);
});

test('a snapshot that throws answers 500 with the message, logs it, and the server keeps serving', async () => {
  const { logger, records } = memoryLogger('info');
  let broken = true;
  const base = await serve(() => {
    if (broken) throw new Error('supervisor state is inconsistent');
    return agent();
  }, logger);
  for (const path of ['/metrics', '/metrics/prometheus', '/health']) {
    const res = await send(base, 'GET', path);
    assert.equal(res.status, 500, path);
    assert.match(res.body, /supervisor state is inconsistent/);
  }
  assert.equal(records.filter((l) => l['level'] === 50).length, 3);
  broken = false;
  assert.equal((await send(base, 'GET', '/metrics')).status, 200);
});

test('a port in use rejects start() with SLUICE_ERR_METRICS_PORT and a message saying what to do', async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, HOST, resolve));
  const port = (blocker.address() as { port: number }).port;
  try {
    const server = new MonitorServer({ host: HOST, port, snapshot: () => agent(), logger: memoryLogger('info').logger });
    await assert.rejects(server.start(), (err: unknown) => {
      assert.ok(err instanceof SluiceError);
      assert.equal(err.code, 'SLUICE_ERR_METRICS_PORT');
      assert.equal(err.message, `metrics port 127.0.0.1:${port} is in use by another process; stop that process or choose another with --metrics-port (or -Dflume.monitoring.port)`);
      assert.equal((err.cause as NodeJS.ErrnoException).code, 'EADDRINUSE');
      return true;
    });
    await server.close(); // after a failed start: nothing to close, no throw
  } finally {
    await new Promise((resolve) => blocker.close(resolve));
  }
});

test('an address that is not on this host rejects start() with a clear error (the privileged-port case is in bind-error)', async () => {
  const server = new MonitorServer({ host: '192.0.2.1', port: 0, snapshot: () => agent(), logger: memoryLogger('info').logger });
  await assert.rejects(server.start(), (err: SluiceError) => err.code === 'SLUICE_ERR_METRICS_PORT' && /192\.0\.2\.1/.test(err.message));
});

test('close() stops serving, also with a keep-alive connection open', async () => {
  const server = new MonitorServer({ host: HOST, port: 0, snapshot: () => agent(), logger: memoryLogger('info').logger });
  const { port } = await server.start();
  const res = await fetch(`http://${HOST}:${port}/health`); // undici keeps the connection alive
  await res.text();
  await server.close();
  await assert.rejects(fetch(`http://${HOST}:${port}/health`, { signal: AbortSignal.timeout(5000) }));
  await server.close();
});

test('past maxConnections a new connection is closed at once, logged once, and serving resumes when they close', { timeout: 10_000 }, async () => {
  const { logger, records } = memoryLogger('info');
  const server = new MonitorServer({ host: HOST, port: 0, snapshot: () => agent(), logger, maxConnections: 3 });
  servers.push(server);
  const { port } = await server.start();
  const idle = await Promise.all([1, 2, 3].map(() => connectRaw(port)));
  await until(() => server.connections === 3, 'the server holds 3 connections');
  for (let i = 0; i < 2; i++) {
    const extra = await connectRaw(port);
    await extra.closed;
    assert.equal(extra.received(), '', 'closed without an answer');
  }
  assert.equal(server.connections, 3);
  const warns = records.filter((l) => l['level'] === 40);
  assert.deepEqual(warns.map((l) => [l['msg'], l['maxConnections']]), [['HTTP monitoring is at maxConnections: new connections are closed at once.', 3]]);
  for (const c of idle) c.socket.destroy();
  await until(() => server.connections === 0, 'the idle connections are closed');
  const again = records.find((l) => l['msg'] === 'HTTP monitoring accepts new connections again.');
  assert.equal(again?.['level'], 30);
  assert.equal(again?.['dropped'], 2);
  const res = await fetch(`http://${HOST}:${port}/metrics`);
  assert.equal(res.status, 200);
  await res.text();
});

test('a connection that never sends a request is closed after idleTimeoutMs', { timeout: 10_000 }, async () => {
  const server = new MonitorServer({ host: HOST, port: 0, snapshot: () => agent(), logger: memoryLogger('info').logger, idleTimeoutMs: 100, headersTimeoutMs: 60_000, requestTimeoutMs: 60_000 });
  servers.push(server);
  const { port } = await server.start();
  const idle = await connectRaw(port);
  await idle.closed;
  await until(() => server.connections === 0, 'the server has let the connection go');
});

test('a client trickling its headers is answered 408 and closed after headersTimeoutMs, though never idle', { timeout: 10_000 }, async () => {
  const server = new MonitorServer({ host: HOST, port: 0, snapshot: () => agent(), logger: memoryLogger('info').logger, headersTimeoutMs: 200, idleTimeoutMs: 60_000 });
  servers.push(server);
  const { port } = await server.start();
  const slow = await connectRaw(port);
  slow.socket.write('GET /metrics HTTP/1.1\r\nHost: x\r\n');
  const trickle = setInterval(() => slow.socket.write('X-Pad: 1\r\n'), 20);
  try {
    await slow.closed;
  } finally {
    clearInterval(trickle);
  }
  assert.match(slow.received(), /^HTTP\/1\.1 408 /);
});
