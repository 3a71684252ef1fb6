/**
 * Components that are not part of Sluice, loaded with `--plugin`: one file, one list, no other
 * edit anywhere. `countdown` emits `from`, `from - 1` ... `1` in batches and stops; `tally`
 * appends every body it is given to `path`, one per line.
 */
import { appendFileSync } from 'node:fs';
import { defineFactory, type AnyFactory } from '@sluice/config';
import { DELIVERED } from '@sluice/core';

const countdown = defineFactory({
  kind: 'source',
  type: 'countdown',
  aliases: [],
  doc: 'Emits the numbers from `from` down to 1.',
  keys: {
    from: { format: 'int', default: 1000, min: 1, doc: 'The first number.' },
    batchSize: { format: 'int', default: 100, min: 1, doc: 'Events per batch.' },
  },
  batchSizeKey: 'batchSize',
  create(config, ctx) {
    let stopped = false;
    let done: Promise<void> = Promise.resolve();
    const run = async () => {
      for (let n = config.from; n > 0 && !stopped; n -= config.batchSize) {
        const size = Math.min(config.batchSize, n);
        const events = Array.from({ length: size }, (_, i) => ({ headers: { plugin: 'countdown' }, body: Buffer.from(String(n - i)) }));
        await ctx.emit(events);
      }
      ctx.logger.info('countdown reached 1');
    };
    return {
      async start() {
        done = run();
      },
      async stop() {
        stopped = true;
        await done.catch(() => undefined);
      },
    };
  },
});

const tally = defineFactory({
  kind: 'sink',
  type: 'tally',
  aliases: [],
  doc: 'Appends every body to a file, one per line.',
  keys: {
    path: { format: 'string', default: undefined, doc: 'The file.' },
    batchSize: { format: 'int', default: 100, min: 1, doc: 'Events per delivery.' },
  },
  batchSizeKey: 'batchSize',
  resources: (config) => [{ kind: 'file', path: config.path, key: 'path' }],
  create(config) {
    return {
      batchSize: config.batchSize,
      async start() {},
      async deliver(batch) {
        appendFileSync(config.path, batch.events().map((e) => `${e.body.toString()}\n`).join(''));
        return DELIVERED;
      },
      async stop() {},
    };
  },
});

export const factories: readonly AnyFactory[] = [countdown, tally];
