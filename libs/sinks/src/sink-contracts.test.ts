import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAvroServer } from '@sluice/avro-rpc';
import { decodeBatch } from '@sluice/core';
import { describeSinkContract, memoryLogger } from '@sluice/testkit';
import { avroSink } from './avro/avro-sink-factory.js';
import { fileRollSink } from './file-roll/file-roll-sink.js';
import { loggerSink } from './logger/logger-sink.js';
import { nullSink } from './null/null-sink.js';
import { configFor, fakeContext } from './test-support.js';

describeSinkContract('null', {
  decodes: false,
  make: async () => {
    const ctx = fakeContext();
    const sink = nullSink.create(configFor(nullSink, {}), ctx);
    await sink.start();
    return { sink, counters: ctx.counters };
  },
});

describeSinkContract('logger', {
  decodes: true,
  make: async () => {
    const ctx = fakeContext();
    const sink = loggerSink.create(configFor(loggerSink, { maxBytesToLog: 100 }), ctx);
    await sink.start();
    const body = / body: (?:[0-9A-F]{2} )+ *(.*) }$/;
    const delivered = async () => ctx.records.filter((r) => r.msg.startsWith('Event: ')).map((r) => body.exec(r.msg)![1]!);
    return { sink, counters: ctx.counters, delivered };
  },
});

describeSinkContract('file_roll', {
  decodes: true,
  make: async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-contract-roll-'));
    const ctx = fakeContext();
    const sink = fileRollSink.create(configFor(fileRollSink, { 'sink.directory': dir, 'sink.rollInterval': 0 }), ctx);
    await sink.start();
    const delivered = async () => {
      const names = (await readdir(dir)).sort();
      const text = (await Promise.all(names.map((n) => readFile(join(dir, n), 'utf8')))).join('');
      return text.split('\n').filter((l) => l !== '');
    };
    return { sink, counters: ctx.counters, delivered, cleanup: () => rm(dir, { recursive: true, force: true }) };
  },
});

describeSinkContract('avro', {
  decodes: false,
  make: async () => {
    const received: string[] = [];
    const server = createAvroServer({
      host: '127.0.0.1',
      port: 0,
      logger: memoryLogger('silent').logger,
      onAppendBatch: async (batch) => {
        received.push(...decodeBatch(Buffer.from(batch)).map((e) => e.body.toString()));
        return 'OK';
      },
    });
    const { port } = await server.listen();
    const ctx = fakeContext();
    const sink = avroSink.create(configFor(avroSink, { hostname: '127.0.0.1', port }), ctx);
    await sink.start();
    return { sink, counters: ctx.counters, delivered: async () => [...received], cleanup: () => server.close() };
  },
});
