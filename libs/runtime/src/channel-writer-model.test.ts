import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import pino from 'pino';
import { CHANNEL_COUNTERS, Counters, decodeBatch, encodeBatch, type Reply, type Request } from '@sluice/core';
import { MemoryStore } from '@sluice/channels';
import { ChannelService } from './channel-service.js';
import type { ChannelClient } from '@sluice/transport';
import { ChannelWriter } from './channel-writer.js';

/*
 * Model test of back-pressure: several writers (the code every source uses) put batches of random
 * sizes into a small memory channel, full most of the time, that holds commits for 0–20 ms or
 * refuses them at once; a consumer takes random amounts and acks after random pauses. Whatever the
 * interleaving, each writer's events come out once each, in the order written.
 */

const logger = pino({ level: 'silent' });

/** A client that hands requests straight to the service, as the transport would (no timeouts). */
function directClient(service: ChannelService, peer: string): ChannelClient {
  return { request: (req: Request) => service.handle(peer, req) } as unknown as ChannelClient;
}

const scenario = fc.record({
  capacity: fc.integer({ min: 20, max: 60 }),
  fullWaitMs: fc.constantFrom(0, 5, 20),
  writers: fc.array(fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 3 }),
  takes: fc.array(fc.record({ max: fc.integer({ min: 1, max: 15 }), pauseMs: fc.integer({ min: 0, max: 3 }) }), { minLength: 1, maxLength: 8 }),
});

test('under any interleaving with a full channel, every writer\'s events come out once, in write order', async () => {
  await fc.assert(
    fc.asyncProperty(scenario, async ({ capacity, fullWaitMs, writers, takes }) => {
      const service = new ChannelService(new MemoryStore({ capacity, byteBudget: 0 }), {
        name: 'c',
        transactionCapacity: 20,
        leaseMs: 60_000,
        retryAfterMs: 2,
        fullWaitMs,
        counters: new Counters(CHANNEL_COUNTERS),
        logger,
      });
      const total = writers.flat().reduce((a, b) => a + b, 0);
      const writes = writers.flatMap((sizes, w) => {
        const writer = new ChannelWriter(directClient(service, `source:w${w}:1:`), { channel: 'c', window: 4, requestTimeoutMs: 5000, logger, txPrefix: `w${w}` });
        let next = 0;
        return sizes.map((n) => {
          const events = Array.from({ length: n }, () => ({ headers: { w: String(w) }, body: Buffer.from(String(next++)) }));
          return writer.write(encodeBatch(events));
        });
      });
      const seen: string[][] = writers.map(() => []);
      let delivered = 0;
      for (let t = 0; delivered < total; t++) {
        assert.ok(t < 20_000, `stuck at ${delivered} of ${total} events`);
        const { max, pauseMs } = takes[t % takes.length]!;
        const reply: Reply = await service.handle('sink:k:1:', { type: 'TAKE', tx: `t${t}`, max, waitMs: 5 });
        if (reply.type !== 'BATCH' || reply.count === 0) continue;
        for (const e of decodeBatch(reply.batch)) seen[Number(e.headers['w'])]!.push(e.body.toString());
        delivered += reply.count;
        await sleep(pauseMs);
        assert.equal((await service.handle('sink:k:1:', { type: 'ACK', tx: `t${t}` })).type, 'ACKED');
      }
      await Promise.all(writes);
      service.close();
      writers.forEach((sizes, w) => {
        const n = sizes.reduce((a, b) => a + b, 0);
        assert.deepEqual(seen[w], Array.from({ length: n }, (_, i) => String(i)), `writer ${w}`);
      });
    }),
    { numRuns: 40 },
  );
});
