import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { SluiceError } from '@sluice/core';
import { netcatSource, type NetcatSource } from './netcat-source.js';
import { NetcatLines, charCount } from './netcat-lines.js';
import { checkBusyPortRetried, configFor, FakeChannel, fakeSourceContext, sleep } from '../test-support.js';
import { waitUntil } from '@sluice/testkit';

async function setup(values: Record<string, unknown> = {}, ch = new FakeChannel()) {
  const ctx = fakeSourceContext(ch);
  const source = netcatSource.create(configFor(netcatSource, { bind: '127.0.0.1', port: 0, ...values }), ctx) as NetcatSource;
  await source.start();
  return { ch, ctx, source, port: source.address().port };
}

/** A client that records everything the server answers. */
async function client(port: number): Promise<{ socket: Socket; replies: () => string; closed: Promise<void> }> {
  const socket = connect({ host: '127.0.0.1', port, noDelay: true });
  let text = '';
  socket.on('data', (d: Buffer) => (text += d.toString('utf8')));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, replies: () => text, closed };
}

const TOO_LONG = (n: number) => `FAILED: Event exceeds the maximum length (${n} chars, including newline)\n`;

test('lines: \\n dropped, \\r kept, over-long lines skipped up to their newline', () => {
  const lines = new NetcatLines(8, true);
  const items = [
    ...lines.push(Buffer.from('1234567\n12345678\nab')),
    ...lines.push(Buffer.from('c\r\n0123456789')),
    ...lines.push(Buffer.from('still the long line\nnext\n')),
  ];
  assert.deepEqual(
    items.map((i) => (i.kind === 'line' ? i.body.toString() : '<too long>')),
    ['1234567', '<too long>', 'abc\r', '<too long>', 'next'],
  );
});

test('max-line-length counts characters, not bytes', () => {
  assert.equal(charCount(Buffer.from('héllo'), true), 5);
  assert.equal(charCount(Buffer.from('😀'), true), 2, 'a surrogate pair is two Java chars');
  const lines = new NetcatLines(4, true);
  const items = lines.push(Buffer.from('ééé\néééé\n'));
  assert.deepEqual(
    items.map((i) => i.kind),
    ['line', 'too-long'],
  );
});

test('OK is sent only after the batch is committed', async () => {
  const ch = new FakeChannel();
  ch.hold();
  const { source, port } = await setup({}, ch);
  const c = await client(port);
  c.socket.write('a\nb\r\n');
  await waitUntil(() => ch.waiting === 1, 'the emit');
  await sleep(30);
  assert.equal(c.replies(), '', 'nothing answered before the commit');
  ch.release();
  await waitUntil(() => c.replies() === 'OK\nOK\n', 'two OKs');
  assert.deepEqual(ch.bodies(), ['a', 'b\r']);
  c.socket.end();
  await c.closed;
  await source.stop();
});

test('an over-long line is answered FAILED and skipped; the lines around it are committed', async () => {
  const { ch, ctx, source, port } = await setup({ 'max-line-length': 8 });
  const c = await client(port);
  c.socket.write('1234567\n12345678\nok\n');
  await waitUntil(() => c.replies().split('\n').length === 4, 'three answers');
  assert.equal(c.replies(), `OK\n${TOO_LONG(8)}OK\n`);
  assert.deepEqual(ch.bodies(), ['1234567', 'ok']);
  assert.equal(ctx.counters.get('EventReadFail'), 1);
  c.socket.write('123456789\nalso too long\n');
  await waitUntil(() => ctx.counters.get('EventReadFail') === 3, 'two more refused');
  const warned = ctx.records.filter((r) => r.level === 40 && /max-line-length/.test(r.msg));
  assert.equal(warned.length, 1, 'logged once per connection');
  assert.equal(warned[0]!['maxLineLength'], 8);
  assert.equal(warned[0]!['peer'], `127.0.0.1:${c.socket.localPort}`);
  c.socket.end();
  await c.closed;
  await source.stop();
});

test('an over-long line spread over several writes is answered once', async () => {
  const { ch, source, port } = await setup({ 'max-line-length': 10 });
  const c = await client(port);
  c.socket.write('x'.repeat(30));
  await waitUntil(() => c.replies() === TOO_LONG(10), 'the FAILED answer before the newline arrives');
  c.socket.write('y'.repeat(30));
  await sleep(20);
  c.socket.write('zzz\nnext\n');
  await waitUntil(() => c.replies() === `${TOO_LONG(10)}OK\n`, 'OK for next');
  assert.deepEqual(ch.bodies(), ['next']);
  c.socket.end();
  await c.closed;
  await source.stop();
});

test('ack-every-event = false: lines are committed without answers', async () => {
  const { ch, source, port } = await setup({ 'ack-every-event': false });
  const c = await client(port);
  c.socket.end('one\ntwo\n');
  await c.closed;
  assert.equal(c.replies(), '');
  assert.deepEqual(ch.bodies(), ['one', 'two']);
  await source.stop();
});

test('other emit errors answer FAILED: <message> for each line of the batch', async () => {
  const ch = new FakeChannel().failWith(new SluiceError('SLUICE_ERR_BATCH_TOO_LARGE', 'batch of 2 exceeds 1'));
  const { source, port } = await setup({}, ch);
  const c = await client(port);
  c.socket.write('a\nb\n');
  await waitUntil(() => c.replies().split('\n').length === 3, 'two answers');
  assert.equal(c.replies(), 'FAILED: batch of 2 exceeds 1\nFAILED: batch of 2 exceeds 1\n');
  c.socket.write('c\n');
  await waitUntil(() => c.replies().endsWith('OK\n'), 'the next line succeeds');
  assert.deepEqual(ch.bodies(), ['c']);
  c.socket.end();
  await c.closed;
  await source.stop();
});

test('a read with more lines than batchSize is committed in several batches, answered in order', async () => {
  const { ch, source, port } = await setup({ batchSize: 100 });
  const c = await client(port);
  const n = 250;
  c.socket.write(Array.from({ length: n }, (_, i) => `line ${i}\n`).join(''));
  await waitUntil(() => c.replies() === 'OK\n'.repeat(n), `${n} OKs`);
  assert.ok(ch.batches.every((b) => b.length <= 100));
  assert.deepEqual(
    ch.bodies(),
    Array.from({ length: n }, (_, i) => `line ${i}`),
  );
  c.socket.end();
  await c.closed;
  await source.stop();
});

test('an unterminated line at the end of a connection is not an event', async () => {
  const { ch, source, port } = await setup();
  const c = await client(port);
  c.socket.end('done\npartial');
  await c.closed;
  assert.equal(c.replies(), 'OK\n');
  assert.deepEqual(ch.bodies(), ['done']);
  await source.stop();
});

test('OpenConnectionCount follows the connections', async () => {
  const { ctx, source, port } = await setup();
  const a = await client(port);
  const b = await client(port);
  await waitUntil(() => ctx.counters.get('OpenConnectionCount') === 2, 'two connections');
  a.socket.end();
  await a.closed;
  await waitUntil(() => ctx.counters.get('OpenConnectionCount') === 1, 'one connection');
  await source.stop();
  await b.closed;
  assert.equal(ctx.counters.get('OpenConnectionCount'), 0);
});

test('stop() closes the port and the connections', async () => {
  const { source, port } = await setup();
  const c = await client(port);
  await source.stop();
  await c.closed;
  await assert.rejects(client(port), /ECONNREFUSED/);
});

test('stop() does not wait forever for a commit: unanswered lines are left to the client', async () => {
  const ch = new FakeChannel();
  ch.hold();
  const { source, port } = await setup({}, ch);
  const c = await client(port);
  c.socket.write('pending\n');
  await waitUntil(() => ch.waiting === 1, 'the emit');
  const started = Date.now();
  await source.stop();
  await c.closed;
  assert.ok(Date.now() - started < 5000);
  assert.equal(c.replies(), '', 'no OK for a line not committed');
  ch.release();
});

test('a busy port is retried until it is free, logged once per change of state', async () => {
  await checkBusyPortRetried((port) => {
    const ctx = fakeSourceContext(new FakeChannel());
    return { ctx, source: netcatSource.create(configFor(netcatSource, { bind: '127.0.0.1', port }), ctx) };
  });
});

test('check() rejects a UTF-16 encoding', () => {
  const config = configFor(netcatSource, { bind: '0.0.0.0', port: 1 });
  assert.deepEqual(netcatSource.check!(config), []);
  assert.equal(netcatSource.check!({ ...config, encoding: 'UTF-16' }).length, 1);
});

test('past maxConnections the connection quiet longest makes way, even one inside a line', async () => {
  const { ctx, source, port } = await setup({ maxConnections: 2 });
  const idle = await client(port);
  await waitUntil(() => ctx.counters.get('OpenConnectionCount') === 1, 'the first connection');
  const partial = await client(port);
  // Answered once, then holding a partial line: the source has read it all before the third comes.
  partial.socket.write('served first\nno newline yet');
  await waitUntil(() => partial.replies() === 'OK\n', 'the second connection answered');
  const third = await client(port);
  await idle.closed;
  const fourth = await client(port);
  await partial.closed;
  third.socket.write('served\n');
  await waitUntil(() => third.replies() === 'OK\n', 'the third connection answered');
  assert.equal(fourth.socket.destroyed, false);
  assert.equal(ctx.records.filter((r) => /maxConnections reached/.test(r.msg)).length, 1, 'logged once');
  await source.stop();
});

test('past maxConnections while every connection is being committed, a new one is refused', async () => {
  const ch = new FakeChannel();
  ch.hold();
  const { source, port } = await setup({ maxConnections: 1 }, ch);
  const busy = await client(port);
  busy.socket.write('held\n');
  await waitUntil(() => ch.waiting === 1, 'the emit');
  const refused = await client(port);
  await refused.closed;
  ch.release();
  await waitUntil(() => busy.replies() === 'OK\n', 'the held line answered');
  await source.stop();
});
