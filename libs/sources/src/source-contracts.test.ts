import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAvroClient } from '@sluice/avro-rpc';
import { encodeBatch } from '@sluice/core';
import { describeSourceContract, type UpstreamAck } from '@sluice/testkit';
import type { AvroSource } from './avro/avro-source.js';
import { avroSource } from './avro/avro-source-factory.js';
import { execSource } from './exec/exec-factory.js';
import { netcatSource, type NetcatSource } from './netcat/netcat-source.js';
import { seqSource } from './seq/seq-source.js';
import { configFor } from './test-support.js';

/** Bytes one read of a pipe can bring (libuv's read buffer): what exec may still emit once paused. */
const PIPE_READ_BYTES = 64 * 1024;

describeSourceContract('seq', {
  paced: 'self',
  input: (n) => Array.from({ length: n }, (_, i) => String(i)),
  backPressureItems: 100_000,
  start: async (ctx, items) => {
    const source = seqSource.create(configFor(seqSource, { batchSize: 10, totalEvents: items.length }), ctx);
    await source.start();
    return { source };
  },
});

describeSourceContract('exec', {
  paced: 'self',
  backPressureItems: 100_000,
  // Every line is at least `item 0\n`, 7 bytes; a read may end inside a batch of 5 lines.
  readAhead: Math.ceil(PIPE_READ_BYTES / 7) + 5,
  start: async (ctx) => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-contract-exec-'));
    const file = join(dir, 'input');
    await writeFile(file, '');
    const source = execSource.create(configFor(execSource, { command: `tail -n +1 -f ${file}`, batchSize: 5, batchTimeout: 20 }), ctx);
    await source.start();
    return {
      source,
      feed: (items) => appendFile(file, items.map((i) => `${i}\n`).join('')),
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  },
});

describeSourceContract('netcat', {
  paced: 'clients',
  start: async (ctx) => {
    const source = netcatSource.create(configFor(netcatSource, { bind: '127.0.0.1', port: 0 }), ctx) as NetcatSource;
    await source.start();
    const socket = connect({ host: '127.0.0.1', port: source.address().port });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    let replies = '';
    socket.on('data', (d: Buffer) => (replies += d.toString('utf8')));
    socket.on('error', () => undefined);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    return {
      source,
      feed: (items) => new Promise<void>((resolve) => socket.write(items.map((i) => `${i}\n`).join(''), () => resolve())),
      acks: () => replies.split('\n').slice(0, -1).map((line): UpstreamAck => (line === 'OK' ? 'ok' : 'failed')),
      cleanup: async () => {
        socket.end();
        socket.destroySoon();
        await closed;
      },
    };
  },
});

describeSourceContract('avro', {
  paced: 'clients',
  start: async (ctx) => {
    const source = avroSource.create(configFor(avroSource, { bind: '127.0.0.1', port: 0 }), ctx) as AvroSource;
    await source.start();
    const client = createAvroClient({ host: '127.0.0.1', port: source.bound().port, requestTimeoutMs: 20_000, connectTimeoutMs: 5000 });
    const acks: UpstreamAck[] = [];
    let answered: Promise<unknown> = Promise.resolve();
    return {
      source,
      feed: async (items) => {
        const batch = encodeBatch(items.map((i) => ({ headers: {}, body: Buffer.from(i) })));
        const status = client.appendBatch(batch).catch(() => 'FAILED');
        // Answers are recorded in request order, one per item.
        answered = Promise.all([answered, status]).then(([, st]) => void acks.push(...items.map((): UpstreamAck => (st === 'OK' ? 'ok' : 'failed'))));
      },
      acks: () => acks,
      cleanup: () => client.close(),
    };
  },
});
