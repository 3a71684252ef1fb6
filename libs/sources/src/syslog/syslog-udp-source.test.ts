import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { test } from 'node:test';
import { configFor } from '@sluice/config/testing';
import { waitUntil } from '@sluice/testkit';
import { syslogUdpSource } from './syslog-udp-factory.js';
import { DROPPED_DATAGRAMS_COUNTER, type SyslogUdpSource } from './syslog-udp-source.js';
import { testSourceContext } from './syslog-test-support.js';

async function start(values: Record<string, unknown> = {}) {
  const ctx = testSourceContext();
  const source = syslogUdpSource.create(configFor(syslogUdpSource, { host: '127.0.0.1', port: 0, ...values }), ctx) as SyslogUdpSource;
  await source.start();
  const sender = createSocket('udp4');
  const send = (text: string) =>
    new Promise<void>((resolve, reject) => sender.send(text, source.address().port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  const stop = async () => {
    sender.close();
    await source.stop();
  };
  return { ctx, send, stop };
}

test('one datagram is one message, a trailing newline dropped, with syslog and client headers', async () => {
  const { ctx, send, stop } = await start({ clientIPHeader: 'ip', keepFields: 'hostname' });
  await send('<13>Dec  8 10:20:30 web tag: one\n');
  await send('<165>1 2003-10-11T22:14:15.003Z mymachine su - - - two\nlines');
  await send('garbage');
  await waitUntil(() => ctx.events.length === 3, 'three events');
  assert.deepEqual(
    ctx.events.map((e) => e.body.toString()),
    ['web tag: one', 'mymachine su - - - two\nlines', 'garbage'],
  );
  assert.deepEqual(ctx.events[0]!.headers, { Facility: '1', Severity: '5', priority: '13', timestamp: ctx.events[0]!.headers.timestamp, host: 'web', ip: '127.0.0.1' });
  assert.equal(ctx.events[1]!.headers.version, '1');
  assert.equal(ctx.events[2]!.headers['flume.syslog.status'], 'Invalid');
  await stop();
});

test('the client host name header is filled before the datagram is emitted', async () => {
  const { ctx, send, stop } = await start({ clientHostnameHeader: 'name' });
  await send('<13>Dec  8 10:20:30 web a');
  await send('<13>Dec  8 10:20:30 web b');
  await waitUntil(() => ctx.events.length === 2, 'two events');
  assert.deepEqual(ctx.events.map((e) => e.body.toString()), ['a', 'b']);
  for (const e of ctx.events) assert.ok((e.headers.name ?? '') !== '');
  await stop();
});

test('while the channel is full datagrams wait in one batch; past it they are counted and dropped, with one warn', async () => {
  const { ctx, send, stop } = await start({ batchSize: 2 });
  ctx.hold();
  for (let i = 0; i < 5; i++) await send(`<13>Dec  8 10:20:30 web held ${i}`);
  await waitUntil(() => ctx.counters.get(DROPPED_DATAGRAMS_COUNTER) === 3, 'three drops');
  assert.equal(ctx.records.filter((r) => /datagrams are dropped/.test(r.msg)).length, 1);
  assert.equal(ctx.emitted(), 0, 'nothing emitted while not writable');
  ctx.release();
  await waitUntil(() => ctx.events.length === 2, 'the batch held');
  await send('<13>Dec  8 10:20:30 web after');
  await waitUntil(() => ctx.events.length === 3, 'the datagram after');
  assert.deepEqual(ctx.events.map((e) => e.body.toString()), ['held 0', 'held 1', 'after']);
  await stop();
});

test('a burst larger than batchSize, while writable, arrives whole in batches of batchSize', async () => {
  const { ctx, send, stop } = await start({ batchSize: 10 });
  await Promise.all(Array.from({ length: 200 }, (_, i) => send(`<13>Dec  8 10:20:30 web burst ${i}`)));
  await waitUntil(() => ctx.events.length + ctx.counters.get(DROPPED_DATAGRAMS_COUNTER) === 200, 'every datagram accounted for');
  assert.equal(ctx.counters.get(DROPPED_DATAGRAMS_COUNTER), 0);
  assert.ok(ctx.batchSizes.every((n) => n <= 10));
  await stop();
});
