import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import pino from 'pino';
import { CHANNEL_COUNTERS, Counters, encodeBatch, SINK_COUNTERS, type Batch, type Delivery, type RequestType } from '@sluice/core';
import { ChannelService, MemoryStore } from '@sluice/channels';
import { ChannelClient, ChannelServer, channelEndpoint } from '@sluice/transport';
import { SinkRunner } from './sink-runner.js';

const logger = pino({ level: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'sluice-sink-runner-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const batchOf = (from: number, n: number) => encodeBatch(Array.from({ length: n }, (_, i) => ({ headers: {}, body: Buffer.from(String(from + i)) })));

test('every delivered batch is acknowledged, the ACKs riding on the next TAKEs', async () => {
  const counters = new Counters(CHANNEL_COUNTERS);
  const service = new ChannelService(new MemoryStore({ capacity: 10_000, byteBudget: 0 }), {
    name: 'c1',
    transactionCapacity: 100,
    leaseMs: 60_000,
    retryAfterMs: 5,
    fullWaitMs: 0,
    counters,
    logger,
  });
  for (let b = 0; b < 20; b++) await service.handle('src', { type: 'PUT', tx: `p${b}`, commit: true, epoch: 0, batch: batchOf(b * 100, 100) });
  const requests = new Map<RequestType, number>();
  const endpoint = channelEndpoint(dir, 'c1');
  const server = new ChannelServer(
    endpoint,
    (peer, req) => {
      requests.set(req.type, (requests.get(req.type) ?? 0) + 1);
      return service.handle(peer, req);
    },
    logger,
  );
  await server.bind();
  const client = new ChannelClient(endpoint, 'sink:k1:1:', logger);
  client.connect();

  const delivered: number[] = [];
  const stop = new AbortController();
  const processor = {
    batchSize: 100,
    async deliver(batch: Batch): Promise<Delivery> {
      delivered.push(...batch.events().map((e) => Number(e.body.toString())));
      if (delivered.length >= 2000) stop.abort();
      return { status: 'ok' };
    },
  };
  const runner = new SinkRunner({ client, processor, counters: new Counters(SINK_COUNTERS), logger, txPrefix: 'k1-1', prefetch: 4, takeWaitMs: 50, requestTimeoutMs: 5000, leaseMs: 60_000 });
  try {
    await runner.run(stop.signal);
  } finally {
    await client.close();
    await server.close();
    service.close();
  }

  assert.deepEqual(delivered, Array.from({ length: 2000 }, (_, i) => i), 'every event, in order, once');
  assert.equal(service.size, 0, 'every lease acknowledged: nothing left to re-deliver');
  assert.equal(counters.get('EventTakeSuccessCount'), 2000);
  // 20 deliveries: 19 ACKs went out with a TAKE; only the last one, at stop, went alone.
  assert.equal(requests.get('ACK'), 1, `standalone ACKs: ${requests.get('ACK')}`);
  assert.equal(requests.get('NACK') ?? 0, 0);
});
