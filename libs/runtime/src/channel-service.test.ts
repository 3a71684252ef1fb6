import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { Counters, CHANNEL_COUNTERS, SluiceError, type Reply } from '@sluice/core';
import { MemoryStore } from '@sluice/channels';
import { bodies, numbered } from '@sluice/channels/testing';
import { ChannelService } from './channel-service.js';

function service(capacity = 10, leaseMs = 60_000, fullWaitMs = 0) {
  const counters = new Counters(CHANNEL_COUNTERS);
  const svc = new ChannelService(new MemoryStore({ capacity, byteBudget: 0 }), {
    name: 'c1',
    transactionCapacity: 5,
    leaseMs,
    retryAfterMs: 10,
    fullWaitMs,
    counters,
    logger: pino({ level: 'silent' }),
  });
  return { svc, counters };
}

const put = (tx: string, from: number, n: number, epoch = 0) =>
  ({ type: 'PUT', tx, commit: true, epoch, batch: numbered(from, n).bytes }) as const;

function taken(reply: Reply): number[] {
  assert.equal(reply.type, 'BATCH');
  return reply.type === 'BATCH' ? bodies({ bytes: reply.batch }) : [];
}

test('after FULL, later PUTs of the same epoch are refused too, so order is kept', async () => {
  const { svc } = service(6);
  assert.equal((await svc.handle('src', put('a', 0, 5))).type, 'COMMITTED');
  assert.equal((await svc.handle('src', put('b', 5, 3))).type, 'FULL');
  // c would fit, but was sent before the sender learned of the FULL: refused to keep order.
  assert.equal((await svc.handle('src', put('c', 8, 1))).type, 'FULL');
  assert.equal((await svc.handle('other', put('x', 100, 1))).type, 'COMMITTED', 'other peers are not held back');
  const t = await svc.handle('snk', { type: 'TAKE', tx: 't1', max: 5, waitMs: 0 });
  assert.deepEqual(taken(t), [0, 1, 2, 3, 4]);
  await svc.handle('snk', { type: 'ACK', tx: 't1' });
  assert.equal((await svc.handle('src', put('b', 5, 3, 1))).type, 'COMMITTED', 'the new epoch is accepted');
  assert.equal((await svc.handle('src', put('c', 8, 1, 1))).type, 'COMMITTED');
  svc.close();
});

/** The reply, or 'waiting' if it has not come within a few event-loop turns. */
async function settled(reply: Promise<Reply>): Promise<Reply | 'waiting'> {
  return Promise.race([reply, new Promise<'waiting'>((r) => setTimeout(() => r('waiting'), 20))]);
}

test('a full channel holds commits, oldest first, until an ACK makes room: the batches cross once, no FULL', async () => {
  const { svc, counters } = service(6, 60_000, 5000);
  assert.equal((await svc.handle('src', put('a', 0, 5))).type, 'COMMITTED');
  const b = svc.handle('src', put('b', 5, 3));
  const c = svc.handle('src', put('c', 8, 1)); // would fit, but must not overtake b
  const x = svc.handle('other', put('x', 100, 1));
  assert.equal(await settled(b), 'waiting');
  assert.equal(await settled(c), 'waiting');
  assert.equal(await settled(x), 'waiting');
  const again = svc.handle('src', put('b', 5, 3)); // the sender timed out and re-sent b
  assert.deepEqual(taken(await svc.handle('snk', { type: 'TAKE', tx: 't1', max: 5, waitMs: 0 })), [0, 1, 2, 3, 4]);
  await svc.handle('snk', { type: 'ACK', tx: 't1' });
  for (const r of [b, c, x, again]) assert.equal((await r).type, 'COMMITTED');
  assert.deepEqual(taken(await svc.handle('snk', { type: 'TAKE', tx: 't2', max: 5, waitMs: 0 })), [5, 6, 7, 8, 100]);
  assert.equal(counters.get('EventPutSuccessCount'), 10, 'b stored once');
  svc.close();
});

test('a commit that waited in vain is answered FULL, with its sender\'s commits behind it; the next epoch is taken', async () => {
  const { svc } = service(6, 60_000, 60);
  assert.equal((await svc.handle('src', put('a', 0, 5))).type, 'COMMITTED');
  const waited = await Promise.all([svc.handle('src', put('b', 5, 3)), svc.handle('src', put('c', 8, 1))]);
  assert.deepEqual(
    waited.map((r) => r.type),
    ['FULL', 'FULL'],
  );
  assert.equal((await svc.handle('src', put('d', 9, 1))).type, 'FULL', 'the rest of the epoch too');
  await svc.handle('snk', { type: 'TAKE', tx: 't1', max: 5, waitMs: 0 });
  await svc.handle('snk', { type: 'ACK', tx: 't1' });
  assert.equal((await svc.handle('src', put('b', 5, 3, 1))).type, 'COMMITTED');
  assert.equal((await svc.handle('src', put('c', 8, 1, 1))).type, 'COMMITTED');
  svc.close();
});

test("a PUT's wait bounds how long a full channel holds it (the avro source's short bound)", async () => {
  const { svc } = service(5, 60_000, 60_000);
  assert.equal((await svc.handle('src', put('a', 0, 5))).type, 'COMMITTED');
  const b = svc.handle('src', { ...put('b', 5, 1), wait: 30 });
  const answer = await Promise.race([b, new Promise<'waiting'>((r) => setTimeout(() => r('waiting'), 1000))]);
  assert.equal(answer === 'waiting' ? answer : answer.type, 'FULL', 'answered after its own 30 ms, not the 60 s keep-alive');
  assert.equal((await svc.handle('src', { ...put('c', 6, 1, 1), wait: 0 })).type, 'FULL', 'wait 0: at once');
  svc.close();
});

test('waiting commits of a worker that died, or of a channel that closes, are answered STOPPED and not stored', async () => {
  const { svc } = service(5, 60_000, 5000);
  assert.equal((await svc.handle('src:1:', put('a', 0, 5))).type, 'COMMITTED');
  const dead = svc.handle('src:1:', put('b', 5, 1));
  const alive = svc.handle('src:2:', put('x', 100, 1));
  assert.equal(await settled(dead), 'waiting');
  await svc.peerDied('src:1:');
  assert.deepEqual(await dead, { type: 'ERROR', tx: 'b', code: 'SLUICE_ERR_STOPPED', retriable: false, message: 'src:1: was reported dead' });
  assert.equal(await settled(alive), 'waiting');
  svc.close();
  assert.equal(((await alive) as { code?: string }).code, 'SLUICE_ERR_STOPPED');
  assert.equal(svc.size, 5);
});

test('a smaller batch sent right behind one that does not fit is refused too, even handled concurrently', async () => {
  const { svc } = service(6);
  assert.equal((await svc.handle('src', put('a', 0, 5))).type, 'COMMITTED');
  const [b, c] = await Promise.all([svc.handle('src', put('b', 5, 3)), svc.handle('src', put('c', 8, 1))]);
  assert.deepEqual([b.type, c.type], ['FULL', 'FULL']);
  assert.equal(svc.size, 5);
  svc.close();
});

test('COMMIT and ACK are idempotent; an unknown tx is reported as such', async () => {
  const { svc, counters } = service();
  assert.equal((await svc.handle('src', { ...put('a', 0, 2), commit: false })).type, 'PUT_OK');
  assert.equal((await svc.handle('src', { type: 'COMMIT', tx: 'a' })).type, 'COMMITTED');
  assert.equal((await svc.handle('src', { type: 'COMMIT', tx: 'a' })).type, 'COMMITTED');
  assert.equal((await svc.handle('src', put('a', 0, 2))).type, 'COMMITTED', 'a re-PUT of a committed tx');
  assert.equal(counters.get('ChannelSize'), 2);
  assert.equal((await svc.handle('src', { type: 'COMMIT', tx: 'nope' })).type, 'UNKNOWN_TX');
  await svc.handle('snk', { type: 'TAKE', tx: 't', max: 5, waitMs: 0 });
  assert.equal((await svc.handle('snk', { type: 'ACK', tx: 't' })).type, 'ACKED');
  assert.equal((await svc.handle('snk', { type: 'ACK', tx: 't' })).type, 'ACKED');
  assert.equal((await svc.handle('snk', { type: 'ACK', tx: 'never' })).type, 'LEASE_EXPIRED');
  assert.equal(counters.get('ChannelSize'), 0);
  assert.equal(counters.get('EventPutSuccessCount'), 2);
  assert.equal(counters.get('EventTakeSuccessCount'), 2);
  svc.close();
});

test("a dead worker's requests that arrive after peerDied lease nothing (they were still in the socket)", async () => {
  const { svc } = service();
  await svc.handle('src', put('a', 0, 3));
  await svc.peerDied('sink:k1:100:');
  const late = await svc.handle('sink:k1:100:', { type: 'TAKE', tx: 'late', max: 5, waitMs: 0 });
  assert.equal(late.type, 'ERROR');
  assert.deepEqual(taken(await svc.handle('sink:k1:101:', { type: 'TAKE', tx: 't', max: 5, waitMs: 0 })), [0, 1, 2]);
  svc.close();
});

test("re-queueing a dead taker's lease never serves that taker's own parked TAKE", async () => {
  const { svc } = service();
  await svc.handle('src', put('a', 0, 2));
  await svc.handle('sink:k1:100:', { type: 'TAKE', tx: 't1', max: 5, waitMs: 0 });
  const parked = svc.handle('sink:k1:100:', { type: 'TAKE', tx: 't2', max: 5, waitMs: 5000 });
  await svc.peerDied('sink:k1:100:');
  assert.deepEqual(taken(await svc.handle('sink:k1:101:', { type: 'TAKE', tx: 't3', max: 5, waitMs: 0 })), [0, 1], 'the new taker gets them at once');
  svc.close();
  assert.deepEqual(taken(await parked), [], 'the dead one got nothing');
});

test('a NACK for a parked TAKE (the sink gave up on it) cancels it: later events are not leased to it', async () => {
  const { svc, counters } = service();
  const parked = svc.handle('snk', { type: 'TAKE', tx: 't1', max: 5, waitMs: 5000 });
  assert.equal((await svc.handle('snk', { type: 'NACK', tx: 't1' })).type, 'NACKED');
  assert.deepEqual(taken(await parked), [], 'the parked TAKE is answered empty at once');
  await svc.handle('src', put('a', 0, 3));
  assert.deepEqual(taken(await svc.handle('snk', { type: 'TAKE', tx: 't2', max: 5, waitMs: 0 })), [0, 1, 2]);
  // The TAKE itself arriving after its NACK (handled out of order) leases nothing either.
  await svc.handle('snk', { type: 'NACK', tx: 't2' });
  await svc.handle('snk', { type: 'NACK', tx: 't3' });
  assert.deepEqual(taken(await svc.handle('snk', { type: 'TAKE', tx: 't3', max: 5, waitMs: 1000 })), []);
  assert.deepEqual(taken(await svc.handle('snk', { type: 'TAKE', tx: 't4', max: 5, waitMs: 0 })), [0, 1, 2]);
  assert.equal(counters.get('ChannelSize'), 3);
  svc.close();
});

test('an ACK riding on a TAKE is settled with it, and its outcome comes back with the batch', async () => {
  const { svc, counters } = service();
  await svc.handle('src', put('a', 0, 5));
  await svc.handle('src', put('b', 5, 3));
  assert.deepEqual(taken(await svc.handle('snk', { type: 'TAKE', tx: 't1', max: 5, waitMs: 0 })), [0, 1, 2, 3, 4]);
  const next = await svc.handle('snk', { type: 'TAKE', tx: 't2', max: 5, waitMs: 0, ack: 't1' });
  assert.deepEqual(taken(next), [5, 6, 7]);
  assert.deepEqual(next.type === 'BATCH' && next.ack, { type: 'ACKED', tx: 't1' });
  assert.equal(counters.get('ChannelSize'), 3, 't1 is gone for good, t2 still leased');
  // An ACK for a lease the channel does not hold is reported, and the TAKE is still answered.
  const last = await svc.handle('snk', { type: 'TAKE', tx: 't3', max: 5, waitMs: 0, ack: 'gone' });
  assert.deepEqual(last.type === 'BATCH' && last.ack, { type: 'LEASE_EXPIRED', tx: 'gone' });
  assert.equal((await svc.handle('snk', { type: 'ACK', tx: 't1' })).type, 'ACKED', 'a re-sent ACK is answered idempotently');
  svc.close();
});

test('a TAKE whose ACK is slow to become durable is still served before the TAKEs that came after it', async () => {
  const store = new MemoryStore({ capacity: 100, byteBudget: 0 });
  const ack = store.ack.bind(store);
  store.ack = async (tx) => {
    await new Promise((r) => setTimeout(r, 30)); // an fdatasync
    return ack(tx);
  };
  const svc = new ChannelService(store, { name: 'c1', transactionCapacity: 5, leaseMs: 60_000, retryAfterMs: 10, fullWaitMs: 0, counters: new Counters(CHANNEL_COUNTERS), logger: pino({ level: 'silent' }) });
  for (let b = 0; b < 3; b++) await svc.handle('src', put(`p${b}`, b * 5, 5));
  assert.deepEqual(taken(await svc.handle('snk', { type: 'TAKE', tx: 't1', max: 5, waitMs: 0 })), [0, 1, 2, 3, 4]);
  const [second, third] = await Promise.all([
    svc.handle('snk', { type: 'TAKE', tx: 't2', max: 5, waitMs: 0, ack: 't1' }),
    svc.handle('snk', { type: 'TAKE', tx: 't3', max: 5, waitMs: 0 }),
  ]);
  assert.deepEqual(taken(second), [5, 6, 7, 8, 9], 'the first TAKE to arrive gets the head of the queue');
  assert.deepEqual(taken(third), [10, 11, 12, 13, 14]);
  assert.deepEqual(second.type === 'BATCH' && second.ack, { type: 'ACKED', tx: 't1' });
  svc.close();
});

test('a waiting TAKE is answered as soon as events are committed', async () => {
  const { svc } = service();
  const pending = svc.handle('snk', { type: 'TAKE', tx: 't', max: 5, waitMs: 5000 });
  await svc.handle('src', put('a', 0, 3));
  assert.deepEqual(taken(await pending), [0, 1, 2]);
  const empty = await svc.handle('snk', { type: 'TAKE', tx: 't2', max: 5, waitMs: 20 });
  assert.deepEqual(taken(empty), []);
  svc.close();
});

test('a dead taker\'s leases and an expired lease go back to the head in order', async () => {
  const { svc } = service(10, 50);
  await svc.handle('src', put('a', 0, 4));
  await svc.handle('sink:k1:100:', { type: 'TAKE', tx: 't1', max: 2, waitMs: 0 });
  assert.equal(await svc.peerDied('sink:k1:100:'), 2);
  assert.deepEqual(taken(await svc.handle('sink:k1:101:', { type: 'TAKE', tx: 't2', max: 5, waitMs: 0 })), [0, 1, 2, 3]);
  // t2 is never acked: after its lease expires the events are offered again.
  const again = await svc.handle('sink:k1:101:', { type: 'TAKE', tx: 't3', max: 5, waitMs: 3000 });
  assert.deepEqual(taken(again), [0, 1, 2, 3]);
  assert.equal((await svc.handle('sink:k1:101:', { type: 'ACK', tx: 't2' })).type, 'LEASE_EXPIRED');
  svc.close();
});

test('a batch over transactionCapacity or malformed bytes is an error, not stored', async () => {
  const { svc } = service();
  const big = await svc.handle('src', put('a', 0, 6));
  assert.ok(big.type === 'ERROR' && big.code === 'SLUICE_ERR_BATCH_TOO_LARGE' && !big.retriable);
  const bad = await svc.handle('src', { type: 'PUT', tx: 'b', commit: true, epoch: 0, batch: Buffer.from([9, 9]) });
  assert.ok(bad.type === 'ERROR' && bad.code === 'SLUICE_ERR_MALFORMED_BATCH');
  assert.equal(svc.size, 0);
  svc.close();
});

test('TAKEs in flight together are served in the order they arrived', async () => {
  const { svc } = service(100);
  const takes = [0, 1, 2, 3].map((i) => svc.handle('snk', { type: 'TAKE', tx: `t${i}`, max: 5, waitMs: 5000 }));
  const commits = [0, 1, 2, 3].map((i) => svc.handle('src', put(`p${i}`, i * 5, 5)));
  await Promise.all(commits);
  const got = (await Promise.all(takes)).map(taken);
  assert.deepEqual(got, [0, 1, 2, 3].map((i) => [0, 1, 2, 3, 4].map((j) => i * 5 + j)));
  // With events already queued, a new TAKE still waits its turn behind parked ones.
  const parked = svc.handle('snk', { type: 'TAKE', tx: 'late1', max: 5, waitMs: 5000 });
  const behind = svc.handle('snk', { type: 'TAKE', tx: 'late2', max: 5, waitMs: 0 });
  await svc.handle('src', put('p9', 100, 5));
  assert.deepEqual(taken(await parked), [100, 101, 102, 103, 104]);
  assert.deepEqual(taken(await behind), []);
  svc.close();
});

test('a store that fails answers a retriable ERROR, keeps the lease, and refuses the rest of the epoch', async () => {
  const counters = new Counters(CHANNEL_COUNTERS);
  const store = new MemoryStore({ capacity: 100, byteBudget: 0 });
  let failing = true;
  const flaky = Object.assign(Object.create(store) as MemoryStore, {
    commit: (tx: string, b: Parameters<MemoryStore['commit']>[1]) =>
      failing ? Promise.reject(new SluiceError('SLUICE_ERR_CHANNEL_FULL', 'disk full', { retriable: true })) : store.commit(tx, b),
  });
  const svc = new ChannelService(flaky, { name: 'c1', transactionCapacity: 5, leaseMs: 60_000, retryAfterMs: 10, fullWaitMs: 0, counters, logger: pino({ level: 'silent' }) });
  const first = await svc.handle('src', put('a', 0, 2));
  assert.ok(first.type === 'ERROR' && first.retriable);
  failing = false;
  assert.equal((await svc.handle('src', put('b', 2, 2))).type, 'FULL', 'a later batch of the same epoch waits its turn');
  assert.equal((await svc.handle('src', put('a', 0, 2, 1))).type, 'COMMITTED');
  assert.equal(counters.get('EventPutErrorCount'), 1);
  svc.close();
});

test('EventTakeSuccessCount counts acknowledged takes only; a NACKed or expired take counts as attempts', async () => {
  const { svc, counters } = service();
  await svc.handle('src', put('a', 0, 4));
  await svc.handle('snk', { type: 'TAKE', tx: 't1', max: 3, waitMs: 0 });
  assert.equal(counters.get('EventTakeAttemptCount'), 3, 'three events asked for and handed out');
  assert.equal(counters.get('EventTakeSuccessCount'), 0, 'handed out, not yet acknowledged');
  await svc.handle('snk', { type: 'NACK', tx: 't1' });
  assert.equal(counters.get('EventTakeSuccessCount'), 0, 'a NACKed take is no success');
  await svc.handle('snk', { type: 'TAKE', tx: 't2', max: 5, waitMs: 0 });
  assert.equal(counters.get('EventTakeAttemptCount'), 3 + 4 + 1, 'four that came, plus the one that found none');
  assert.equal((await svc.handle('snk', { type: 'ACK', tx: 't2' })).type, 'ACKED');
  assert.equal(counters.get('EventTakeSuccessCount'), 4);
  await svc.handle('snk', { type: 'ACK', tx: 't2' });
  assert.equal(counters.get('EventTakeSuccessCount'), 4, 'a re-sent ACK is not counted twice');
  svc.close();
});
