import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { test } from 'node:test';
import { configFor } from '@sluice/config/testing';
import { waitUntil } from '@sluice/testkit';
import { multiportSyslogTcpSource } from './multiport-syslog-tcp-factory.js';
import { CONNECTION_EMIT_WINDOW } from './syslog-tcp-connection.js';
import { syslogTcpSource } from './syslog-tcp-factory.js';
import type { SyslogTcpSource } from './syslog-tcp-source.js';
import { testSourceContext } from './syslog-test-support.js';

async function start(values: Record<string, unknown> = {}) {
  const ctx = testSourceContext();
  const source = syslogTcpSource.create(configFor(syslogTcpSource, { host: '127.0.0.1', port: 0, ...values }), ctx) as SyslogTcpSource;
  await source.start();
  return { ctx, source, port: source.addresses()[0]!.port };
}

function client(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const bodies = (ctx: ReturnType<typeof testSourceContext>) => ctx.events.map((e) => e.body.toString('utf8'));

test('newline-terminated and octet-counted messages become events with their syslog and client headers', async () => {
  const { ctx, source, port } = await start({ clientIPHeader: 'ip', clientHostnameHeader: 'name' });
  const c = await client(port);
  const octet = '<165>1 2003-10-11T22:14:15.003Z mymachine su - ID47 - two\nlines';
  c.write(`<13>Dec  8 10:20:30 web tag: one\n${Buffer.byteLength(octet)} ${octet}not syslog\n`);
  await waitUntil(() => ctx.events.length === 3, 'three events');
  assert.deepEqual(bodies(ctx), ['tag: one', 'su - ID47 - two\nlines', 'not syslog']);
  assert.equal(ctx.events[0]!.headers.host, 'web');
  assert.equal(ctx.events[1]!.headers.timestamp, String(Date.UTC(2003, 9, 11, 22, 14, 15, 3)));
  assert.equal(ctx.events[2]!.headers['flume.syslog.status'], 'Invalid');
  for (const e of ctx.events) {
    assert.equal(e.headers.ip, '127.0.0.1');
    assert.ok((e.headers.name ?? '') !== '', 'a host name (or the address)');
  }
  c.end();
  await source.stop();
});

test('a line longer than eventSize is cut and marked Incomplete; the rest follows; nothing is lost', async () => {
  const { ctx, source, port } = await start({ eventSize: 30 });
  const c = await client(port);
  c.write(`<13>Dec  8 10:20:30 h ${'x'.repeat(30)}\n<13>Dec  8 10:20:30 h ok\n`);
  await waitUntil(() => ctx.events.some((e) => e.body.toString() === 'ok'), 'the next message');
  const statuses = ctx.events.map((e) => e.headers['flume.syslog.status']);
  assert.deepEqual(statuses, ['Incomplete', 'Invalid', undefined]);
  assert.deepEqual(bodies(ctx), ['x'.repeat(8), 'x'.repeat(22), 'ok'], 'the first 30 bytes parsed, the rest raw');
  c.end();
  await source.stop();
});

test('a message the client leaves unterminated at close is delivered', async () => {
  const { ctx, source, port } = await start();
  const c = await client(port);
  c.end('<13>Dec  8 10:20:30 h last');
  await waitUntil(() => ctx.events.length === 1, 'the last message');
  assert.equal(bodies(ctx)[0], 'last');
  await source.stop();
});

test('while the channel is full the connection is not read (TCP slows the sender); afterwards every message arrives in order', async () => {
  const { ctx, source, port } = await start({ batchSize: 10 });
  ctx.hold();
  const c = await client(port);
  const line = (i: number) => `<13>Dec  8 10:20:30 h message ${i} ${'p'.repeat(200)}\n`;
  const sent = 40_000; // about 9 MB: more than the loopback buffers hold
  c.write(Array.from({ length: sent }, (_, i) => line(i)).join(''));
  await waitUntil(() => ctx.counters.get('OpenConnectionCount') === 1, 'the connection');
  // Many turns of the event loop, each polling the socket: a source that kept reading would emit more.
  for (let turn = 0; turn < 200; turn++) {
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(ctx.outstanding() <= CONNECTION_EMIT_WINDOW, `${ctx.outstanding()} emits outstanding`);
  }
  assert.ok(ctx.emitted() < sent / 4, `${ctx.emitted()} of ${sent} messages read while the channel is full`);
  assert.ok(c.writableLength > 0, 'the sender holds unsent data');
  ctx.release();
  c.end();
  await waitUntil(() => ctx.events.length === sent, `${sent} events`, 20_000);
  const expected = Array.from({ length: sent }, (_, i) => line(i).slice(22, -1));
  assert.ok(bodies(ctx).every((b, i) => b === expected[i]), 'every message, in order');
  assert.ok(ctx.batchSizes.every((n) => n <= 10));
  await source.stop();
});

test('a client that never sends a newline costs at most eventSize bytes: its stream arrives in cut pieces', async () => {
  const { ctx, source, port } = await start({ eventSize: 1000 });
  const c = await client(port);
  const total = 2_000_000;
  c.end(Buffer.alloc(total, 'z'));
  await waitUntil(() => ctx.events.reduce((n, e) => n + e.body.length, 0) === total, 'every byte', 20_000);
  assert.equal(ctx.events.length, total / 1000);
  assert.ok(ctx.events.every((e) => e.body.length === 1000 && e.headers['flume.syslog.status'] === 'Invalid'));
  await source.stop();
});

test('a batch the channels refuse for good is logged and lost; the connection goes on', async () => {
  const { ctx, source, port } = await start();
  ctx.failNext(new Error('refused'));
  const c = await client(port);
  c.write('<13>Dec  8 10:20:30 h lost\n');
  await waitUntil(() => ctx.records.some((r) => /refused a batch/.test(r.msg)), 'the warn');
  c.write('<13>Dec  8 10:20:30 h kept\n');
  await waitUntil(() => ctx.events.length === 1, 'the next message');
  assert.equal(bodies(ctx)[0], 'kept');
  c.end();
  await source.stop();
});

test('OpenConnectionCount follows the connections; stop() closes the port and the connections', async () => {
  const { ctx, source, port } = await start();
  const a = await client(port);
  await waitUntil(() => ctx.counters.get('OpenConnectionCount') === 1, 'one connection');
  const closed = new Promise((resolve) => a.once('close', resolve));
  await source.stop();
  await closed;
  assert.equal(ctx.counters.get('OpenConnectionCount'), 0);
  await assert.rejects(client(port), /ECONNREFUSED/);
});

test('multiport_syslogtcp listens on every port and names the port in portHeader', async () => {
  const ctx = testSourceContext();
  // Two free ports: `ports = 0 0` would be refused by check() as a repeat, so the first is bound here.
  const taken = await freePort();
  const config = configFor(multiportSyslogTcpSource, { host: '127.0.0.1', ports: [String(taken), '0'], portHeader: 'port' });
  const source = multiportSyslogTcpSource.create(config, ctx) as SyslogTcpSource;
  await source.start();
  const ports = source.addresses().map((a) => a.port);
  assert.equal(ports.length, 2);
  for (const port of ports) {
    const c = await client(port);
    c.end(`<13>Dec  8 10:20:30 h on ${port}\n`);
  }
  await waitUntil(() => ctx.events.length === 2, 'two events');
  for (const e of ctx.events) assert.equal(e.body.toString(), `on ${e.headers.port}`);
  assert.deepEqual(ctx.events.map((e) => Number(e.headers.port)).sort(), [...ports].sort());
  await source.stop();
});
