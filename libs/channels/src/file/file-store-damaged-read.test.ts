import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, test } from 'node:test';
import { bodies, numbered } from '../testing/store-contract.js';
import { LEVEL, makeStore, recordOffsets, segmentFiles, tempDir, testOptions } from '../testing/file-fixtures.js';

/*
 * A batch damaged on disk after it was written and covered by a checkpoint is only found when a
 * take reads it back (no replay reads it). Without repair the take fails at it, logged once, the
 * error naming the remedy; with repair it is dropped for good (an ACK record) and logged as lost.
 */

const roots: string[] = [];
after(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

/** Three batches of 10 (bodies 0..29) checkpointed and closed, then batch 1 damaged on disk. */
async function damagedLog(): Promise<ReturnType<typeof testOptions>> {
  const root = tempDir();
  roots.push(root);
  const options = testOptions(root, { readCacheBytes: 0 });
  const { store } = makeStore(options);
  await store.open();
  for (let i = 0; i < 3; i++) assert.equal(await store.commit(`p${i}`, numbered(i * 10, 10)), 'ok');
  await store.close(); // the close checkpoint covers every record: the next open reads none
  const [file] = segmentFiles(options.dataDirs[0]!);
  const offsets = recordOffsets(file!);
  const fd = fs.openSync(file!, 'r+');
  fs.writeSync(fd, Buffer.from([0xee, 0xee]), 0, 2, offsets[1]! + 40);
  fs.closeSync(fd);
  return options;
}

test('without repair a damaged batch fails every take at it, is logged once with the remedy, and nothing is dropped', async () => {
  const options = await damagedLog();
  const { store, lines, counters } = makeStore(options);
  await store.open();
  assert.equal(store.size, 30);
  assert.deepEqual(bodies(await store.take('a', 10)), range(0, 10), 'the batch before it is fine');
  for (const tx of ['b', 'c']) {
    await assert.rejects(store.take(tx, 100), (err: Error) => {
      assert.match(err.message, /no longer matches its checksum: damaged on disk after it was written; set repair = true to drop it/);
      return true;
    });
  }
  assert.equal(counters.get('EventTakeErrorCount'), 2);
  const logged = lines.filter((l) => /^A batch in the log is damaged/.test(l.msg));
  assert.equal(logged.length, 1, 'logged once, not at every take');
  assert.equal(logged[0]!.level, LEVEL.error);
  assert.equal(logged[0]!['putSeq'], 1);
  assert.equal(logged[0]!['offset'], recordOffsets(segmentFiles(options.dataDirs[0]!)[0]!)[1]);
  assert.equal(store.size, 30);
  await store.close();
});

test('with repair a damaged batch is dropped for good, logged as lost, and the take goes on past it', async () => {
  const options = await damagedLog();
  const { store, lines } = makeStore({ ...options, repair: true });
  await store.open();
  assert.deepEqual(bodies(await store.take('t', 100)), [...range(0, 10), ...range(20, 10)]);
  const dropped = lines.filter((l) => /^Repair: dropped a batch damaged on disk/.test(l.msg));
  assert.equal(dropped.length, 1);
  assert.equal(dropped[0]!.level, LEVEL.error);
  assert.equal(dropped[0]!['events'], 10);
  assert.equal(dropped[0]!['putSeq'], 1);
  assert.match(String(dropped[0]!['reason']), /no longer matches its checksum/);
  assert.equal(store.size, 20, 'the dropped events are gone; the taken ones are leased');
  await store.simulateCrash();

  // The drop is durable; the lease is not: the other 20 events come back after a crash.
  const { store: again, lines: replayLines } = makeStore({ ...options, repair: true });
  await again.open();
  assert.equal(again.size, 20);
  assert.deepEqual(bodies(await again.take('u', 100)), [...range(0, 10), ...range(20, 10)]);
  assert.equal(await again.ack('u'), 'ok');
  assert.equal(again.size, 0);
  assert.ok(!replayLines.some((l) => /damaged/.test(l.msg)), 'nothing damaged is left to find');
  await again.close();
});
