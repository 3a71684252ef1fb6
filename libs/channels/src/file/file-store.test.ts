import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { bodies, describeStoreContract, numbered } from '../testing/store-contract.js';
import { makeStore, tempDir, testOptions } from '../testing/file-fixtures.js';

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

test('group commit: concurrent commits and acks share fdatasyncs', async () => {
  // A slow disk (5 ms per fdatasync) makes the sharing deterministic: everything that arrives
  // while the first sync runs rides on the next one.
  const { store, counters } = makeStore(fresh({ capacity: 10_000, syncDelayMs: 5 }));
  await store.open();
  const results = await Promise.all(Array.from({ length: 200 }, (_, i) => store.commit(`p${i}`, numbered(i * 3, 3))));
  assert.ok(results.every((r) => r === 'ok'));
  const commitSyncs = counters.get('FsyncCount');
  assert.ok(commitSyncs >= 1 && commitSyncs <= 3, `200 commits took ${commitSyncs} fdatasyncs`);
  for (let i = 0; i < 100; i++) assert.ok(await store.take(`t${i}`, 6));
  const acks = await Promise.all(Array.from({ length: 100 }, (_, i) => store.ack(`t${i}`)));
  assert.ok(acks.every((r) => r === 'ok'));
  const ackSyncs = counters.get('FsyncCount') - commitSyncs;
  assert.ok(ackSyncs >= 1 && ackSyncs <= 3, `100 acks took ${ackSyncs} fdatasyncs`);
  assert.equal(store.size, 0);
  await store.close();
});

test('commits and acks resolve in call order, "full" and "duplicate" answers included', async () => {
  const { store } = makeStore(fresh({ capacity: 10, syncDelayMs: 2 }));
  await store.open();
  const order: string[] = [];
  const track = <T>(name: string, p: Promise<T>) => p.then((v) => (order.push(`${name}:${String(v)}`), v));
  await Promise.all([
    track('a', store.commit('a', numbered(0, 4))),
    track('b', store.commit('b', numbered(4, 4))),
    track('c', store.commit('c', numbered(8, 4))), // over capacity: answered at once, yet after a and b
    track('a2', store.commit('a', numbered(0, 4))), // the same tx in flight: shares its outcome
  ]);
  assert.deepEqual(order, ['a:ok', 'b:ok', 'c:full', 'a2:duplicate']);
  await store.close();
});

test('with fsyncPerTransaction=false commits complete without an fdatasync; the interval syncs them', async () => {
  const options = fresh({ fsyncPerTransaction: false, fsyncIntervalMs: 50 });
  const { store, counters } = makeStore(options);
  await store.open();
  for (let i = 0; i < 10; i++) assert.equal(await store.commit(`p${i}`, numbered(i * 10, 10)), 'ok');
  assert.equal(counters.get('FsyncCount'), 0);
  for (let i = 0; i < 100 && counters.get('FsyncCount') === 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(counters.get('FsyncCount') > 0, 'the interval timer ran an fdatasync');
  await store.simulateCrash();
  const again = makeStore(options).store;
  await again.open();
  assert.equal(again.size, 100);
  await again.close();
});

test('counters: Open, Unhealthy, replay figures', async () => {
  const options = fresh();
  const first = makeStore(options);
  await first.store.open();
  assert.equal(first.counters.get('Open'), 1);
  assert.equal(first.counters.get('Unhealthy'), 0);
  await first.store.commit('p', numbered(0, 12));
  await first.store.close();
  assert.equal(first.counters.get('Open'), 0);
  const second = makeStore(options);
  await second.store.open();
  assert.equal(second.counters.get('EventsReplayed'), 12);
  assert.ok(second.counters.get('ReplayDurationMs') >= 0);
  await second.store.close();
  await assert.rejects(second.store.commit('q', numbered(0, 1)), { code: 'SLUICE_ERR_STOPPED' });
});

test('a configured directory that does not exist, or is a file, is a clear start-up error', async () => {
  const options = fresh();
  const missing = path.join(path.dirname(options.checkpointDir), 'nope');
  await assert.rejects(makeStore({ ...options, dataDirs: [missing], createMissing: [options.checkpointDir] }).store.open(), (err: Error) => {
    assert.match(err.message, /does not exist/);
    assert.ok(err.message.includes(missing));
    return true;
  });
  assert.equal(fs.existsSync(missing), false, 'nothing created');
  const file = path.join(path.dirname(options.checkpointDir), 'a-file');
  fs.writeFileSync(file, 'x');
  await assert.rejects(makeStore({ ...options, dataDirs: [file] }).store.open(), /is not a directory/);
});
