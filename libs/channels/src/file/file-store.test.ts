import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, test } from 'node:test';
import { bodies, describeStoreContract, numbered } from '../testing/store-contract.js';
import { makeStore, tempDir, testOptions } from './test-support.js';

const roots: string[] = [];
after(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

function fresh(overrides: Parameters<typeof testOptions>[1] = {}) {
  const root = tempDir();
  roots.push(root);
  return testOptions(root, overrides);
}

describeStoreContract('file', async (capacity) => {
  const options = fresh({ capacity });
  let current = makeStore(options).store;
  await current.open();
  return {
    store: current,
    reopen: async () => {
      await current.close();
      current = makeStore(options).store;
      await current.open();
      return current;
    },
    cleanup: () => current.close(),
  };
});

test('reopening restores queued and leased unacknowledged events, in order', async () => {
  const options = fresh();
  const a = makeStore(options).store;
  await a.open();
  for (let i = 0; i < 5; i++) assert.equal(await a.commit(`p${i}`, numbered(i * 10, 10)), 'ok');
  assert.deepEqual(bodies(await a.take('t1', 15)), Array.from({ length: 15 }, (_, i) => i));
  assert.equal(await a.ack('t1'), 'ok');
  assert.equal((await a.take('t2', 7))?.framing.starts.length, 7); // leased, never acked
  await a.close();

  const b = makeStore(options).store;
  await b.open();
  assert.equal(b.size, 35);
  assert.deepEqual(bodies(await b.take('t3', 100)), Array.from({ length: 35 }, (_, i) => 15 + i));
  assert.equal(await b.commit('p0', numbered(0, 10)), 'duplicate', 'committed txIds survive a restart');
  await b.close();
});
