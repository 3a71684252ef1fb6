import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import pino from 'pino';
import { CHANNEL_COUNTERS, Counters, decodeBatch, encodeBatch, type Reply } from '@sluice/core';
import { MemoryStore } from '@sluice/channels';
import { memoryLogger } from '@sluice/testkit';
import { ChannelService } from './channel-service.js';
import { ChannelClient, ChannelServer, channelEndpoint } from '@sluice/transport';
import { ChannelWriter } from './channel-writer.js';

const logger = pino({ level: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'sluice-writer-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const batchOf = (from: number, n: number) => encodeBatch(Array.from({ length: n }, (_, i) => ({ headers: {}, body: Buffer.from(String(from + i)) })));

async function channel(name: string, capacity: number, fullWaitMs = 0) {
  const counters = new Counters(CHANNEL_COUNTERS);
  const service = new ChannelService(new MemoryStore({ capacity, byteBudget: 0 }), {
    name,
    transactionCapacity: 100,
    leaseMs: 60_000,
    retryAfterMs: 5,
    fullWaitMs,
    counters,
    logger,
  });
  const endpoint = channelEndpoint(dir, name);
  const server = new ChannelServer(endpoint, (peer, req) => service.handle(peer, req), logger);
  await server.bind();
  const sink = new ChannelClient(endpoint, 'sink:k:1:', logger);
  sink.connect();
  return { service, server, sink };
}

/** A source's writer on channel `name` (which need not be bound yet). */
function source(name: string, peer: string, window: number, requestTimeoutMs = 5000) {
  const client = new ChannelClient(channelEndpoint(dir, name), peer, logger);
  client.connect();
  return { client, writer: new ChannelWriter(client, { channel: name, window, requestTimeoutMs, logger, txPrefix: peer }) };
}

async function closeAll(src: ReturnType<typeof source>, ch: Awaited<ReturnType<typeof channel>>): Promise<void> {
  src.writer.close();
  await src.client.close();
  await ch.sink.close();
  await ch.server.close();
  ch.service.close();
}

for (const fullWaitMs of [0, 30]) {
  const how = fullWaitMs === 0 ? 'keeps answering FULL' : 'holds commits for 30 ms, then answers FULL';
  test(`batches are committed in write order when a full channel ${how}`, async () => {
    const ch = await channel(`order${fullWaitMs}`, 25, fullWaitMs);
    const src = source(`order${fullWaitMs}`, 'source:r:1:', 4);
    const writes: Promise<void>[] = [];
    for (let b = 0; b < 40; b++) writes.push(src.writer.write(batchOf(b * 10, 10)));
    // A slow consumer: takes 7 at a time, so room appears in odd amounts while writes are refused.
    const seen: number[] = [];
    let tx = 0;
    while (seen.length < 400) {
      const reply: Reply = await ch.sink.request({ type: 'TAKE', tx: `t${tx}`, max: 7, waitMs: 50 }, 5000);
      assert.equal(reply.type, 'BATCH');
      if (reply.type === 'BATCH' && reply.count > 0) {
        seen.push(...decodeBatch(reply.batch).map((e) => Number(e.body.toString())));
        await ch.sink.request({ type: 'ACK', tx: `t${tx}` }, 5000);
      }
      tx++;
    }
    await Promise.all(writes);
    assert.deepEqual(seen, Array.from({ length: 400 }, (_, i) => i));
    await closeAll(src, ch);
  });
}

test('with a bound on waiting, a write to a full channel rejects with ChannelFullError', async () => {
  const ch = await channel('bounded', 10);
  const src = source('bounded', 'source:r:2:', 2);
  await src.writer.write(batchOf(0, 10));
  await assert.rejects(src.writer.write(batchOf(10, 1), 100), { code: 'SLUICE_ERR_CHANNEL_FULL', retriable: true });
  await closeAll(src, ch);
});

test('a bounded write to a channel that holds full commits for 60 s is answered FULL after its own bound', async () => {
  const ch = await channel('held', 10, 60_000);
  const src = source('held', 'source:r:4:', 2);
  await src.writer.write(batchOf(0, 10));
  const bounded = src.writer.write(batchOf(10, 1), 100).then(
    () => 'committed',
    (err: { code?: string }) => err.code,
  );
  const outcome = await Promise.race([bounded, new Promise((r) => setTimeout(() => r('still waiting after 2 s'), 2000))]);
  assert.equal(outcome, 'SLUICE_ERR_CHANNEL_FULL');
  assert.equal(ch.service.size, 10);
  await closeAll(src, ch);
});

test('a write survives a channel that answers late: the same tx is re-sent and stored once', async () => {
  const src = source('late', 'source:r:3:', 2, 200);
  const done = src.writer.write(batchOf(0, 3));
  await new Promise((r) => setTimeout(r, 500)); // the channel is not there yet: the first PUT times out
  const ch = await channel('late', 100);
  await done;
  // zeromq may deliver both the original PUT (queued while disconnected) and the re-send: stored once.
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(ch.service.size, 3);
  await closeAll(src, ch);
});

test('a channel full again within 10 s is logged at warn once, the later streaks at debug', async () => {
  const { logger: recording, records } = memoryLogger();
  let fullReplies = 0;
  const client = {
    request: async (req: { tx: string }): Promise<Reply> => (fullReplies-- > 0 ? { type: 'FULL', tx: req.tx, retryAfterMs: 1 } : { type: 'COMMITTED', tx: req.tx }),
  } as unknown as ChannelClient;
  const writer = new ChannelWriter(client, { channel: 'c1', window: 2, requestTimeoutMs: 5000, logger: recording, txPrefix: 'r' });
  for (let streak = 0; streak < 3; streak++) {
    fullReplies = 2;
    await writer.write(batchOf(streak, 1));
  }
  writer.close();
  const full = records.filter((r) => r.msg === 'Channel is full; holding back until it has room.');
  assert.deepEqual(
    full.map((r) => r.level),
    [40, 20, 20],
  );
  const again = records.filter((r) => r.msg === 'Channel accepts events again.');
  assert.deepEqual(
    again.map((r) => r.level),
    [30, 20, 20],
  );
});
