import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeBatch, encodeBatch, frameBatch, textEvent } from '@sluice/core';
import { createAvroClient } from './avro-client.js';
import { createAvroServer } from './avro-server.js';
import { encodeRequestBuffers } from './call-codec.js';
import { encodeFrame } from './netty-framing.js';
import { AVRO_SOURCE_PROTOCOL_HASH } from './protocol.js';
import { framesOf, loadCapture, streamOf } from './testing/capture.js';
import { memoryLogger } from '@sluice/testkit';
import { RawConnection } from './testing/raw-connection.js';

/** A small seeded PRNG (mulberry32), so a failing run can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FUZZ_MS = 2500;

test('random, mutated and truncated frames never take the server down; a good client is served afterwards', async (t) => {
  const seed = Number(process.env['SLUICE_FUZZ_SEED'] ?? Date.now() % 1_000_000);
  const rnd = prng(seed);
  const int = (n: number): number => Math.floor(rnd() * n);
  const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => int(256)));

  const log = memoryLogger('debug');
  let handed = 0;
  const server = createAvroServer({
    host: '127.0.0.1',
    port: 0,
    logger: log.logger,
    maxFrameBytes: 256 * 1024,
    maxBuffersPerFrame: 64,
    stallTimeoutMs: 150,
    onAppendBatch: async (batch) => {
      handed++;
      // Whatever reaches the application must be a well-formed batch.
      frameBatch(batch);
      decodeBatch(batch);
      return 'OK';
    },
  });
  const { port } = await server.listen();
  t.after(() => server.close());

  const captured = [
    ...framesOf(streamOf(loadCapture('cap-real'), 1, 'c2s')),
    ...framesOf(streamOf(loadCapture('cap-raw'), 1, 'c2s')),
    ...framesOf(streamOf(loadCapture('cap-big'), 1, 'c2s')),
  ].map((f) => f.raw);
  const handshake = {
    clientHash: AVRO_SOURCE_PROTOCOL_HASH,
    clientProtocol: null,
    serverHash: AVRO_SOURCE_PROTOCOL_HASH,
    meta: {},
  };

  const generators: (() => Buffer)[] = [
    () => bytes(int(2000)),
    // A header with arbitrary counts and lengths (negative, zero, huge), then some bytes.
    () => {
      const b = Buffer.alloc(16);
      b.writeInt32BE(int(10), 0);
      b.writeInt32BE([0, -1, 1, 2, 63, 64, 65, 0x7fffffff][int(8)]!, 4);
      b.writeInt32BE([0, -5, 10, 8192, 300_000, 0x7fffffff][int(6)]!, 8);
      return Buffer.concat([b, bytes(int(300))]);
    },
    // A real request cut short.
    () => {
      const f = captured[int(captured.length)]!;
      return f.subarray(0, 1 + int(f.length - 1));
    },
    // A real request with a few bytes flipped.
    () => {
      const f = Buffer.from(captured[int(captured.length)]!);
      for (let i = 0, n = 1 + int(4); i < n; i++) f[int(f.length)] ^= 1 + int(255);
      return f;
    },
    // Well-framed, but the Avro message inside is garbage.
    () => encodeFrame(1, [bytes(int(200))]),
    // A good handshake and message name, garbage parameters.
    () => encodeFrame(1, encodeRequestBuffers(handshake, ['appendBatch', 'append', 'nope', ''][int(4)]!, bytes(int(500)))),
  ];

  const deadline = Date.now() + FUZZ_MS;
  let cases = 0;
  const batchOf = 4;
  while (Date.now() < deadline && cases < 5000) {
    await Promise.all(
      Array.from({ length: batchOf }, async () => {
        cases++;
        const conn = await RawConnection.open(port);
        conn.write(generators[int(generators.length)]!());
        if (rnd() < 0.5) conn.end();
        // Either the server closes it (rejected/truncated) or it stays silent or answers: wait a little.
        await Promise.race([conn.closed, new Promise((r) => setTimeout(r, 20 + int(40)))]);
        conn.destroy();
      }),
    );
  }

  // The server is alive and serves a well-behaved client.
  const client = createAvroClient({ host: '127.0.0.1', port, requestTimeoutMs: 3000 });
  t.after(() => client.close());
  const before = handed;
  assert.equal(await client.appendBatch(encodeBatch([textEvent('still here', { seed: String(seed) })])), 'OK', `seed ${seed}`);
  assert.equal(handed, before + 1);
  await client.close();

  for (let i = 0; i < 100 && server.connections > 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(server.connections, 0, `every fuzz connection was closed (seed ${seed})`);
  const c = server.counters;
  assert.ok(cases > 50, `ran ${cases} cases`);
  assert.ok(c.framesRejected > 0, 'bad frames were rejected');
  assert.equal(c.connectionsOpened, c.connectionsClosed);
  assert.ok(
    log.records.some((l) => l['msg'] === 'Closing the connection: the peer broke the Avro RPC protocol.' && typeof l['reason'] === 'string'),
    'rejections are logged with their reason',
  );
  assert.equal(log.records.filter((l) => l['level'] === 40).length, 1, 'one misbehaving address is reported once at warn, then at debug');
  t.diagnostic(`seed ${seed}, ${cases} cases, counters ${JSON.stringify(c)}`);
});
