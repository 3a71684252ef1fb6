/**
 * A child process for the SIGKILL test (file/file-store-crash.test.ts): opens a store on the options
 * given as JSON in argv[2], commits numbered events in batches (several in flight), takes and
 * acks some, and reports every step on stdout *after* it completed, until it is killed.
 */
import { Counters, decodeBatch, encodeBatch, frameBatch } from '@sluice/core';
import pino from 'pino';
import { FileChannelStore, type FileStoreOptions } from '../file/file-store.js';

const options = JSON.parse(process.argv[2]!) as FileStoreOptions;
const start = Number(process.argv[3] ?? 0);
const BATCH = 50;
const IN_FLIGHT = 4;

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function batch(first: number) {
  const bytes = encodeBatch(Array.from({ length: BATCH }, (_, i) => ({ headers: {}, body: Buffer.from(String(first + i)) })));
  return { bytes, framing: frameBatch(bytes) };
}

async function main(): Promise<void> {
  const store = new FileChannelStore(options, { logger: pino({ level: 'silent' }), counters: new Counters() });
  await store.open();
  say(`open ${store.size}`);
  let next = start;
  let tx = 0;
  const committer = async (): Promise<void> => {
    for (;;) {
      const first = next;
      next += BATCH;
      const outcome = await store.commit(`p${start}-${first}`, batch(first));
      if (outcome === 'ok') say(`committed ${first} ${BATCH}`);
    }
  };
  const taker = async (): Promise<void> => {
    for (;;) {
      const id = `t${start}-${tx++}`;
      const got = await store.take(id, 70);
      if (!got) {
        await new Promise((r) => setTimeout(r, 1));
        continue;
      }
      const bodies = decodeBatch(got.bytes).map((e) => e.body.toString());
      say(`acking ${id} ${bodies.join(',')}`);
      if ((await store.ack(id)) === 'ok') say(`acked ${id}`);
    }
  };
  await Promise.all([...Array.from({ length: IN_FLIGHT }, committer), taker()]);
}

main().catch((err: unknown) => {
  say(`error ${(err as Error).message}`);
  process.exit(1);
});
