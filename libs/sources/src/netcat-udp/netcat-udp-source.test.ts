import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { test } from 'node:test';
import { configFor } from '@sluice/config/testing';
import { ControlledSourceContext, waitUntil } from '@sluice/testkit';
import type { DatagramSource } from '../datagram-source.js';
import { DROPPED_DATAGRAMS_COUNTER } from '../datagram-source.js';
import { netcatUdpSource } from './netcat-udp-source.js';

async function send(port: number, messages: readonly (string | Buffer)[]): Promise<void> {
  const socket = createSocket('udp4');
  for (const m of messages) await new Promise<void>((resolve, reject) => socket.send(m, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  socket.close();
}

test('each datagram is one event, its bytes the body, the sender in remoteAddressHeader', async () => {
  const ctx = new ControlledSourceContext();
  ctx.autoResolve = true;
  const source = netcatUdpSource.create(configFor(netcatUdpSource, { bind: '127.0.0.1', port: 0, remoteAddressHeader: 'from' }), ctx) as DatagramSource;
  await source.start();
  try {
    await send(source.address().port, ['hello\n', 'two\nlines', Buffer.from([0, 1, 255])]);
    await waitUntil(() => ctx.emits.flatMap((e) => e.events).length === 3, 'three events');
    const events = ctx.emits.flatMap((e) => e.events);
    assert.deepEqual(events.map((e) => e.body), [Buffer.from('hello'), Buffer.from('two\nlines'), Buffer.from([0, 1, 255])]);
    for (const e of events) assert.deepEqual(e.headers, { from: '127.0.0.1' });
  } finally {
    await source.stop();
    await source.stop();
  }
});

test('while the channels are full datagrams wait in one batch; past it they are dropped and counted', async () => {
  const ctx = new ControlledSourceContext();
  ctx.window = 1;
  const source = netcatUdpSource.create(configFor(netcatUdpSource, { bind: '127.0.0.1', port: 0, batchSize: 5 }), ctx) as DatagramSource;
  await source.start();
  try {
    const port = source.address().port;
    await send(port, ['a']);
    await waitUntil(() => ctx.pending === 1, 'the first emit pending');
    await send(port, ['b', 'c', 'd', 'e', 'f', 'g', 'h']);
    await waitUntil(() => ctx.counters.get(DROPPED_DATAGRAMS_COUNTER) === 2, 'two dropped');
    ctx.autoResolve = true;
    ctx.resolveAll();
    await waitUntil(() => ctx.emits.flatMap((e) => e.events).length === 6, 'the held batch emitted');
    assert.deepEqual(ctx.bodies(), ['a', 'b', 'c', 'd', 'e', 'f']);
  } finally {
    await source.stop();
  }
});
