import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import pino from 'pino';
import { encodeBatch, type Reply, type Request } from '@sluice/core';
import { ChannelClient } from './channel-client.js';
import { ChannelServer } from './channel-server.js';
import { channelEndpoint } from './endpoint.js';

const logger = pino({ level: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'sluice-transport-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A server that echoes PUT batches back as BATCH replies and answers TAKE after waitMs. */
function echoHandler(seen: string[]) {
  return async (peer: string, req: Request): Promise<Reply> => {
    seen.push(`${peer}:${req.type}:${req.tx}`);
    if (req.type === 'PUT') return { type: 'BATCH', tx: req.tx, count: 1, batch: req.batch };
    if (req.type === 'TAKE') {
      await new Promise((r) => setTimeout(r, req.waitMs));
      return { type: 'BATCH', tx: req.tx, count: 0, batch: Buffer.from([0]) };
    }
    return { type: 'ACKED', tx: req.tx };
  };
}

let port = 0;
const endpoints = {
  'ipc://': () => channelEndpoint(dir, `c${port++}`),
  'tcp://': () => 'tcp://127.0.0.1:*',
};

for (const [kind, make] of Object.entries(endpoints)) {
  describe(`transport over ${kind}`, () => {
    test('requests get replies matched by tx, batches travel untouched', async () => {
      const endpoint = make();
      const seen: string[] = [];
      const server = new ChannelServer(endpoint, echoHandler(seen), logger);
      await server.bind();
      const client = new ChannelClient(server.boundEndpoint, 'sink:k1:1', logger);
      client.connect();
      const batch = encodeBatch([{ headers: { a: 'b' }, body: Buffer.from('hello') }]);
      const replies = await Promise.all([
        client.request({ type: 'PUT', tx: 't1', commit: true, epoch: 0, batch }, 2000),
        client.request({ type: 'ACK', tx: 't2' }, 2000),
        client.request({ type: 'PUT', tx: 't3', commit: false, epoch: 0, batch }, 2000),
      ]);
      assert.deepEqual(
        replies.map((r) => [r.type, r.tx]),
        [
          ['BATCH', 't1'],
          ['ACKED', 't2'],
          ['BATCH', 't3'],
        ],
      );
      assert.ok(replies[0]!.type === 'BATCH' && replies[0]!.batch.equals(batch));
      assert.deepEqual(seen, ['sink:k1:1:PUT:t1', 'sink:k1:1:ACK:t2', 'sink:k1:1:PUT:t3']);
      await client.close();
      await server.close();
    });

    test('a waiting TAKE does not hold up other requests', async () => {
      const endpoint = make();
      const server = new ChannelServer(endpoint, echoHandler([]), logger);
      await server.bind();
      const client = new ChannelClient(server.boundEndpoint, 'sink:k1:2', logger);
      client.connect();
      const order: string[] = [];
      await Promise.all([
        client.request({ type: 'TAKE', tx: 'slow', max: 10, waitMs: 300 }, 2000).then(() => order.push('take')),
        client.request({ type: 'ACK', tx: 'fast' }, 2000).then(() => order.push('ack')),
      ]);
      assert.deepEqual(order, ['ack', 'take']);
      await client.close();
      await server.close();
    });
  });
}

test('no server: the request times out as a retriable error', async () => {
  const client = new ChannelClient(channelEndpoint(dir, 'nobody'), 'source:r1:1', logger);
  client.connect();
  await assert.rejects(client.request({ type: 'ACK', tx: 'x' }, 100), { code: 'SLUICE_ERR_TIMEOUT', retriable: true });
  await client.close();
});

test('a socket path over 107 bytes is refused with a clear error', () => {
  assert.throws(() => channelEndpoint('/tmp/' + 'x'.repeat(120), 'c1'), { code: 'SLUICE_ERR_PATH_TOO_LONG' });
});
