import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { bodies, numbered } from '../testing/store-contract.js';
import { LEVEL, makeStore, recordOffsets, recordsEnd, segmentFiles, tempDir, testOptions } from '../testing/file-fixtures.js';

const roots: string[] = [];
after(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

function fresh(overrides: Parameters<typeof testOptions>[1] = {}) {
  const root = tempDir();
  roots.push(root);
  return testOptions(root, overrides);
}

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

/** Opens a store, commits `batches` batches of 10 events (event i has body i), crashes it. */
async function crashedWith(options: ReturnType<typeof testOptions>, batches: number): Promise<void> {
  const { store } = makeStore(options);
  await store.open();
  for (let i = 0; i < batches; i++) assert.equal(await store.commit(`p${i}`, numbered(i * 10, 10)), 'ok');
  await store.simulateCrash();
}

test('a crash (no close, no checkpoint) loses nothing committed, and leases come back', async () => {
  const options = fresh();
  const a = makeStore(options).store;
  await a.open();
  for (let i = 0; i < 6; i++) await a.commit(`p${i}`, numbered(i * 10, 10));
  assert.deepEqual(bodies(await a.take('t1', 25)), range(0, 25));
  assert.equal(await a.ack('t1'), 'ok');
  assert.deepEqual(bodies(await a.take('t2', 10)), range(25, 10));
  await a.simulateCrash();

  const { store: b, counters } = makeStore(options);
  await b.open();
  assert.equal(b.size, 35);
  assert.equal(counters.get('EventsReplayed'), 35);
  assert.deepEqual(bodies(await b.take('t3', 100)), range(25, 35));
  assert.equal(await b.commit('p3', numbered(0, 1)), 'duplicate');
  await b.close();
});

test('a torn last record is cut, everything before it recovered, and the loss logged at error level', async () => {
  const options = fresh({ checkpointOnClose: false });
  await crashedWith(options, 5);
  const [file] = segmentFiles(options.dataDirs[0]!);
  fs.truncateSync(file!, recordsEnd(file!) - 7);

  const { store, lines } = makeStore(options);
  await store.open();
  assert.deepEqual(bodies(await store.take('t', 100)), range(0, 40));
  const cut = lines.find((l) => /torn record/.test(l.msg));
  assert.ok(cut, 'the cut is logged');
  assert.equal(cut.level, LEVEL.error);
  assert.match(cut.msg, /possibly acknowledged/);
  assert.equal(cut['file'], file);
  assert.equal(fs.statSync(file!).size, cut['offset'], 'the file ends where the torn record began');
  assert.equal(recordOffsets(file!).length, 4);
  // New commits follow the good records and survive another restart.
  assert.equal(await store.commit('p-new', numbered(100, 3)), 'ok');
  await store.simulateCrash();
  const again = makeStore(options).store;
  await again.open();
  assert.deepEqual(bodies(await again.take('t', 100)), [...range(0, 40), 100, 101, 102]);
  await again.close();
});

test('garbage after the last record is cut with a warning, and every record kept', async () => {
  const options = fresh({ checkpointOnClose: false });
  await crashedWith(options, 3);
  const [file] = segmentFiles(options.dataDirs[0]!);
  const good = recordsEnd(file!);
  fs.truncateSync(file!, good); // without a direct write's zero padding, if any
  fs.appendFileSync(file!, Buffer.from('\x00\x00\x07garbage that is not a record at all'));

  const { store, lines } = makeStore(options);
  await store.open();
  assert.deepEqual(bodies(await store.take('t', 100)), range(0, 30));
  const cut = lines.find((l) => /torn tail/.test(l.msg));
  assert.ok(cut);
  assert.equal(cut.level, LEVEL.warn);
  assert.equal(cut['offset'], good);
  assert.equal(fs.statSync(file!).size, good);
  await store.close();
});

test('damage in the middle refuses to open, naming file and offset; repair skips exactly that record', async () => {
  const options = fresh({ checkpointOnClose: false });
  await crashedWith(options, 5);
  const [file] = segmentFiles(options.dataDirs[0]!);
  const offsets = recordOffsets(file!);
  const bytes = fs.readFileSync(file!);
  bytes[offsets[1]! + 40] ^= 0xff; // a byte inside the second batch
  fs.writeFileSync(file!, bytes);

  const refused = makeStore(options).store;
  await assert.rejects(refused.open(), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'SLUICE_ERR_CORRUPT_LOG');
    assert.ok(err.message.includes(file!), err.message);
    assert.ok(err.message.includes(`offset ${offsets[1]}`), err.message);
    assert.match(err.message, /repair = true/);
    return true;
  });
  assert.deepEqual(fs.readFileSync(file!), bytes, 'a refused open touches nothing');

  const { store, lines } = makeStore({ ...options, repair: true });
  await store.open();
  assert.deepEqual(bodies(await store.take('t', 100)), [...range(0, 10), ...range(20, 30)]);
  const skipped = lines.find((l) => /Repair: skipped damaged bytes/.test(l.msg));
  assert.ok(skipped);
  assert.equal(skipped.level, LEVEL.error);
  assert.equal(skipped['offset'], offsets[1]);
  assert.equal(skipped['next'], offsets[2]);
  assert.equal(skipped['possiblyCommittedBatch'], true);
  await store.close();
});

test('a damaged or missing checkpoint falls back to a full replay, never to an empty channel', async () => {
  const options = fresh();
  const a = makeStore(options).store;
  await a.open();
  for (let i = 0; i < 4; i++) await a.commit(`p${i}`, numbered(i * 10, 10));
  await a.take('t', 15);
  await a.ack('t');
  await a.close(); // writes a checkpoint
  const cpFile = path.join(options.checkpointDir, 'checkpoint');
  const cp = fs.readFileSync(cpFile);
  cp[cp.length - 3] ^= 0x55;
  fs.writeFileSync(cpFile, cp);

  const { store: b, lines } = makeStore(options);
  await b.open();
  assert.ok(lines.some((l) => /checkpoint is damaged/.test(l.msg) && l.level === LEVEL.warn));
  assert.ok(lines.some((l) => /Replaying the whole log/.test(l.msg)));
  assert.deepEqual(bodies(await b.take('t2', 100)), range(15, 25));
  await b.close();

  fs.rmSync(cpFile);
  const c = makeStore(options).store;
  await c.open();
  assert.equal(c.size, 25);
  assert.equal(await c.commit('p1', numbered(0, 1)), 'duplicate');
  await c.close();
});

test('the backup checkpoint is used when the main one is damaged', async () => {
  const root = tempDir();
  roots.push(root);
  const backup = path.join(root, 'backup');
  const options = testOptions(root, { backupCheckpointDir: backup, createMissing: [path.join(root, 'checkpoint'), path.join(root, 'data'), backup] });
  const a = makeStore(options).store;
  await a.open();
  for (let i = 0; i < 3; i++) await a.commit(`p${i}`, numbered(i * 10, 10));
  await a.close();
  assert.ok(fs.existsSync(path.join(backup, 'checkpoint')));
  fs.writeFileSync(path.join(options.checkpointDir, 'checkpoint'), 'not a checkpoint');
  const { store: b, lines } = makeStore(options);
  await b.open();
  assert.ok(lines.some((l) => l.msg === 'File channel open.' && l['from'] === 'backup checkpoint'));
  assert.deepEqual(bodies(await b.take('t', 100)), range(0, 30));
  await b.close();
});

test('a checkpoint or segment from a newer format version is refused with a clear error, nothing touched', async () => {
  const options = fresh();
  const a = makeStore(options).store;
  await a.open();
  await a.commit('p0', numbered(0, 10));
  await a.close();
  const cpFile = path.join(options.checkpointDir, 'checkpoint');
  const original = fs.readFileSync(cpFile);
  const newer = Buffer.from(original);
  newer.writeUInt32LE(99, 8);
  // Keep the header checksum valid so that only the version is wrong.
  const { crc32 } = await import('./crc32.js');
  newer.writeUInt32LE(crc32(newer.subarray(0, 28)), 28);
  fs.writeFileSync(cpFile, newer);
  const [seg] = segmentFiles(options.dataDirs[0]!);
  const segBefore = fs.readFileSync(seg!);
  await assert.rejects(makeStore(options).store.open(), { code: 'SLUICE_ERR_CORRUPT_LOG', message: /newer Sluice \(format 99\)/ });
  assert.deepEqual(fs.readFileSync(cpFile), newer);
  assert.deepEqual(fs.readFileSync(seg!), segBefore);

  fs.writeFileSync(cpFile, original);
  const segNewer = Buffer.from(segBefore);
  segNewer.writeUInt32LE(7, 8);
  segNewer.writeUInt32LE(crc32(segNewer.subarray(0, 36)), 36);
  fs.writeFileSync(seg!, segNewer);
  await assert.rejects(makeStore(options).store.open(), { code: 'SLUICE_ERR_CORRUPT_LOG', message: /newer Sluice \(format 7\)/ });
});

test('consumed segments are deleted after a checkpoint; a full replay afterwards is still exact', async () => {
  const options = fresh({ maxFileSize: 16 * 1024, capacity: 100_000 });
  const a = makeStore(options).store;
  await a.open();
  const big = 400; // events of ~6 bytes: ~3 KB per batch, many segments
  for (let i = 0; i < 60; i++) assert.equal(await a.commit(`p${i}`, numbered(i * big, big)), 'ok');
  const before = segmentFiles(options.dataDirs[0]!).length;
  assert.ok(before > 3, `expected several segments, got ${before}`);
  // Consume the first 45 batches in takes that cut across batch boundaries.
  for (let t = 0; t * 700 < 45 * big; t++) {
    const got = await a.take(`t${t}`, Math.min(700, 45 * big - t * 700));
    assert.ok(got);
    assert.equal(await a.ack(`t${t}`), 'ok');
  }
  await a.checkpoint();
  const after1 = segmentFiles(options.dataDirs[0]!).length;
  assert.ok(after1 < before, `segments ${before} → ${after1}`);
  await a.simulateCrash();

  fs.rmSync(path.join(options.checkpointDir, 'checkpoint'));
  const b = makeStore(options).store;
  await b.open();
  assert.equal(b.size, 15 * big);
  const got = bodies(await b.take('all', 100_000));
  assert.deepEqual(got, range(45 * big, 15 * big));
  await b.close();
});

test('commits spread over several data dirs come back in commit order', async () => {
  const root = tempDir();
  roots.push(root);
  const dirs = ['d1', 'd2', 'd3'].map((d) => path.join(root, d));
  const options = testOptions(root, { dataDirs: dirs, createMissing: [path.join(root, 'checkpoint'), ...dirs], checkpointOnClose: false });
  const a = makeStore(options).store;
  await a.open();
  await Promise.all(Array.from({ length: 30 }, (_, i) => a.commit(`p${i}`, numbered(i * 5, 5))));
  await a.take('t', 42);
  await a.ack('t');
  for (const d of dirs) assert.ok(fs.statSync(segmentFiles(d)[0]!).size > 40, `${d} holds records`);
  await a.simulateCrash();
  const b = makeStore(options).store;
  await b.open();
  assert.deepEqual(bodies(await b.take('t', 1000)), range(42, 150 - 42));
  await b.close();
});

test('a consumed segment holding the ACK of a batch still partly unacknowledged is kept', async () => {
  // maxFileSize below one record: every record lands in a segment of its own.
  const options = fresh({ maxFileSize: 50 });
  const a = makeStore(options).store;
  await a.open();
  const dir = options.dataDirs[0]!;
  const base = segmentFiles(dir).length; // the segment created at open
  await a.commit('p0', numbered(0, 10));
  await a.commit('p1', numbered(10, 10));
  assert.deepEqual(bodies(await a.take('half', 5)), range(0, 5));
  assert.equal(await a.ack('half'), 'ok'); // an ACK record in a segment of its own, naming p0's segment
  assert.deepEqual(bodies(await a.take('held', 100)), range(5, 15)); // leased, never acked
  await a.commit('p2', numbered(20, 10));
  await a.checkpoint();
  assert.equal(segmentFiles(dir).length, base + 3, 'only the empty segment from open is deleted');
  await a.simulateCrash();

  fs.rmSync(path.join(options.checkpointDir, 'checkpoint'));
  const b = makeStore(options).store;
  await b.open();
  assert.deepEqual(bodies(await b.take('all', 100)), range(5, 25), 'the acknowledged half stays acknowledged');
  await b.close();
});

test('a checkpoint naming batches whose segment is gone refuses to open; repair opens without them', async () => {
  const options = fresh({ maxFileSize: 50 }); // one record per segment
  const a = makeStore(options).store;
  await a.open();
  for (let i = 0; i < 3; i++) await a.commit(`p${i}`, numbered(i * 10, 10));
  await a.close();
  const files = segmentFiles(options.dataDirs[0]!);
  assert.equal(files.length, 3);
  fs.rmSync(files[1]!);
  const name = path.basename(files[1]!);
  await assert.rejects(makeStore(options).store.open(), (err: Error) => {
    assert.ok(err.message.includes(`1 batches (10 events) in ${name}`), err.message);
    assert.match(err.message, /was a data dir removed\?/);
    return true;
  });
  const { store, lines } = makeStore({ ...options, repair: true });
  await store.open();
  assert.ok(lines.some((l) => l.level === LEVEL.error && l['events'] === 10 && l['segments'] === name));
  assert.deepEqual(bodies(await store.take('t', 100)), [...range(0, 10), ...range(20, 10)]);
  await store.close();
});

test('a batch damaged on disk after it was written fails its take (counted), and stays queued', async () => {
  const options = fresh({ readCacheBytes: 0 });
  const { store, counters } = makeStore(options);
  await store.open();
  await store.commit('p0', numbered(0, 10));
  await store.commit('p1', numbered(10, 10));
  const [file] = segmentFiles(options.dataDirs[0]!);
  const offsets = recordOffsets(file!);
  const fd = fs.openSync(file!, 'r+');
  fs.writeSync(fd, Buffer.from([0xee]), 0, 1, offsets[0]! + 50);
  fs.closeSync(fd);
  await assert.rejects(store.take('t', 5), { code: 'SLUICE_ERR_CORRUPT_LOG', message: /no longer matches its checksum/ });
  assert.equal(counters.get('EventTakeErrorCount'), 1);
  assert.equal(store.size, 20);
  await assert.rejects(store.take('t', 5), /checksum/, 'the events are back at the head, not lost in a lease');
  await store.close();
});

test("a direct write's zero padding after the last record is a clean end; longer zeros are a torn tail", async () => {
  for (const [zeros, torn] of [
    [4095, false],
    [4096, true],
  ] as const) {
    const options = fresh({ checkpointOnClose: false });
    await crashedWith(options, 3);
    const [file] = segmentFiles(options.dataDirs[0]!);
    const good = recordsEnd(file!);
    fs.truncateSync(file!, good);
    fs.appendFileSync(file!, Buffer.alloc(zeros));

    const { store, lines } = makeStore(options);
    await store.open();
    assert.deepEqual(bodies(await store.take('t', 100)), range(0, 30), `${zeros} zeros`);
    const cuts = lines.filter((l) => /torn/.test(l.msg));
    assert.equal(cuts.length, torn ? 1 : 0, `${zeros} zeros: ${torn ? 'a torn tail' : 'no cut'} logged`);
    assert.equal(fs.statSync(file!).size, good, `${zeros} zeros: cut either way`);
    // Appends follow the records: they survive another restart.
    assert.equal(await store.commit('p-new', numbered(100, 2)), 'ok');
    await store.simulateCrash();
    const again = makeStore(options).store;
    await again.open();
    assert.deepEqual(bodies(await again.take('t', 100)), [...range(0, 30), 100, 101]);
    await again.close();
  }
});
