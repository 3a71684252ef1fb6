import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, test, type TestContext } from 'node:test';
import { decodeBatch, encodeBatch, frameBatch, type SluiceError, type StoredBatch } from '@sluice/core';
import { LEVEL, makeStore, segmentFiles, tempDir, testOptions } from '../testing/file-fixtures.js';

const mounts: string[] = [];
const roots: string[] = [];
after(() => {
  for (const m of mounts) execFileSync('umount', ['-l', m]); // lazy: a failed test may leave files open
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

/** A fresh tmpfs of `size` (needs root); skips the test elsewhere, fails under CI=true. */
function tmpfs(t: TestContext, size: string, readOnly = false): string | undefined {
  if (process.getuid?.() !== 0) {
    if (process.env['CI'] === 'true') assert.fail('the disk-full tests need root for tmpfs in CI');
    t.skip('needs root for tmpfs');
    return undefined;
  }
  const root = tempDir('sluice-fc-tmpfs-');
  roots.push(root);
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}${readOnly ? ',ro' : ''}`, 'tmpfs', root]);
  mounts.push(root);
  return root;
}

/** n events with 200-byte bodies numbered from `first` (about 41 KB for 200 events). */
function batchOf(first: number, n: number): StoredBatch {
  const bytes = encodeBatch(Array.from({ length: n }, (_, i) => ({ headers: {}, body: Buffer.from(String(first + i).padEnd(200, '.')) })));
  return { bytes, framing: frameBatch(bytes) };
}
/** The numbers the events of a batch carry. */
function numbersOf(b: StoredBatch | undefined): number[] {
  return b ? decodeBatch(b.bytes).map((e) => Number(e.body.toString().replace(/\.+$/, ''))) : [];
}

/** Polls `check` every 10 ms until it holds; fails after `ms` naming what was awaited. */
async function waitFor(what: string, check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Bytes of the files directly under `dir`. */
function bytesUnder(dir: string): number {
  return fs.readdirSync(dir).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
}

/** Fills the file system holding `dir` to the last byte; returns the filler file. */
function fillUp(dir: string): string {
  const file = path.join(dir, `filler-${Math.random().toString(36).slice(2)}`);
  const fd = fs.openSync(file, 'w');
  const chunk = Buffer.alloc(4096, 1);
  try {
    for (;;) fs.writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    fs.closeSync(fd);
  }
  return file;
}

test('below minimumRequiredSpace commits answer full while takes and acks go on; space back, commits resume', async (t) => {
  const root = tmpfs(t, '2m');
  if (!root) return;
  const options = testOptions(root, { capacity: 100_000, maxFileSize: 128 * 1024, minimumRequiredSpace: 1024 * 1024 });
  const { store, lines } = makeStore(options);
  await store.open();
  let n = 0;
  let outcome: string = 'ok';
  for (; n < 100 && outcome === 'ok'; n++) outcome = await store.commit(`p${n}`, batchOf(n * 200, 200));
  assert.equal(outcome, 'full', 'the reserve stops commits before the disk is full');
  const committed = n - 1;
  assert.ok(committed >= 10, `${committed} batches fitted`);
  assert.equal(await store.commit('again', batchOf(0, 200)), 'full');
  assert.equal(lines.filter((l) => /below minimumRequiredSpace/.test(l.msg)).length, 1, 'logged once');

  // Drain: takes and acks may use the reserve; a checkpoint deletes the consumed segments.
  for (let i = 0; i < committed; i++) {
    assert.equal((await store.take(`t${i}`, 200))?.framing.starts.length, 200);
    assert.equal(await store.ack(`t${i}`), 'ok');
  }
  await store.checkpoint();
  await new Promise((r) => setTimeout(r, 1100)); // the free-space estimate is refreshed every second
  assert.equal(await store.commit('after', batchOf(1_000_000, 200)), 'ok');
  assert.ok(lines.some((l) => /above minimumRequiredSpace again/.test(l.msg)));
  await store.close();
});

test('at ENOSPC commits and acks are refused retriably, nothing is lost or damaged, and flow resumes by itself', async (t) => {
  const root = tmpfs(t, '2m');
  if (!root) return;
  const options = testOptions(root, { capacity: 100_000, maxFileSize: 256 * 1024, minimumRequiredSpace: 0 });
  const { store, lines, counters } = makeStore(options);
  await store.open();
  const ok: number[] = [];
  for (let i = 0; i < 5; i++) {
    assert.equal(await store.commit(`p${i}`, batchOf(i * 200, 200)), 'ok');
    ok.push(i);
  }
  const fillers = [fillUp(root)];
  const refused: SluiceError[] = [];
  for (let i = 5; i < 9; i++) {
    try {
      await store.commit(`p${i}`, batchOf(i * 200, 200));
      ok.push(i);
    } catch (err) {
      refused.push(err as SluiceError);
    }
  }
  assert.ok(refused.length >= 3, `${refused.length} commits refused`);
  for (const err of refused) assert.equal(err.retriable, true, err.message);
  const fullLogs = lines.filter((l) => /disk is full/.test(l.msg));
  assert.equal(fullLogs.length, 1, 'the condition is logged once');
  assert.equal(fullLogs[0]!.level, LEVEL.error);
  assert.ok(counters.get('EventPutErrorCount') >= 3);

  // Acks need a few bytes too. Use up the last partial page of the segment with empty commits
  // (36-byte records, the size of this ack's record) until one fails: then the ack cannot fit.
  fillers.push(fillUp(root));
  const empty = { bytes: encodeBatch([]), framing: frameBatch(encodeBatch([])) };
  let emptyRefused = false;
  for (let i = 0; i < 200 && !emptyRefused; i++) {
    await store.commit(`e${String(i).padStart(4, '0')}`, empty).catch(() => (emptyRefused = true));
  }
  assert.ok(emptyRefused);
  const taken = await store.take('t0', 200);
  assert.equal(taken?.framing.starts.length, 200);
  await assert.rejects(store.ack('t0'), (err: SluiceError) => err.retriable === true);
  await store.checkpoint();
  assert.ok(counters.get('CheckpointWriteErrorCount') >= 1);
  assert.equal(store.size, ok.length * 200);

  // Space returns: the same calls succeed, with no restart.
  for (const f of fillers) fs.rmSync(f);
  assert.equal(await store.ack('t0'), 'ok');
  assert.equal(await store.commit('p-late', batchOf(5000, 200)), 'ok');
  await store.checkpoint();
  await store.simulateCrash();

  const { store: again, lines: replayLines } = makeStore(options);
  await again.open();
  assert.ok(!replayLines.some((l) => /torn|damaged|Repair/.test(l.msg)), 'the log is intact');
  const expected = [...ok.slice(1).flatMap((i) => Array.from({ length: 200 }, (_, k) => i * 200 + k)), ...Array.from({ length: 200 }, (_, k) => 5000 + k)];
  assert.deepEqual(numbersOf(await again.take('all', 100_000)), expected);
  await again.close();
});

test('a data dir that is not writable is a clear start-up error', async (t) => {
  const readOnly = tmpfs(t, '1m', true);
  if (!readOnly) return;
  const root = tempDir();
  roots.push(root);
  const options = testOptions(root, { dataDirs: [readOnly], createMissing: [path.join(root, 'checkpoint')] });
  await assert.rejects(makeStore(options).store.open(), (err: Error) => {
    assert.ok(err.message.includes(`cannot lock directory ${readOnly}`), err.message);
    assert.match(err.message, /EROFS|read-only/);
    return true;
  });
  assert.equal(fs.existsSync(path.join(root, 'checkpoint', 'in_use.lock')), false, 'the locks taken are released');
});

test('below minimumRequiredSpace a checkpoint deletes acknowledged segments at once, and commits resume before the interval', async () => {
  const root = tempDir();
  roots.push(root);
  const minimum = 1024 * 1024;
  // A disk with room for about 300 KB of log above the reserve: free space is what the data dir does not use.
  const freeSpace = (dir: string) => minimum + 300 * 1024 - bytesUnder(dir);
  const options = testOptions(root, { capacity: 100_000, maxFileSize: 64 * 1024, minimumRequiredSpace: minimum, checkpointIntervalMs: 600_000, freeSpace });
  const dataDir = options.dataDirs[0]!;
  const { store, lines } = makeStore(options);
  await store.open();
  const early = () => lines.filter((l) => /checkpointing early/.test(l.msg));
  const checkpoints = () => lines.filter((l) => l.msg === 'Checkpoint written.').length;

  const put: number[] = [];
  let n = 0;
  for (let outcome = 'ok'; outcome === 'ok'; n++) {
    outcome = await store.commit(`p${n}`, batchOf(n * 50, 50));
    if (outcome === 'ok') put.push(n);
  }
  assert.ok(put.length >= 20, `${put.length} batches fitted`);
  assert.equal(early().length, 0, 'no early checkpoint while nothing is acknowledged');
  const segments = segmentFiles(dataDir);
  assert.ok(segments.length >= 4, `${segments.length} segments`);

  // Every batch but the last four is taken and acknowledged; one more is taken, not acknowledged.
  const acked = put.slice(0, -4);
  for (const i of acked) {
    assert.equal((await store.take(`t${i}`, 50))?.framing.starts.length, 50);
    assert.equal(await store.ack(`t${i}`), 'ok');
  }
  assert.equal((await store.take('leased', 50))?.framing.starts.length, 50);
  assert.deepEqual(segmentFiles(dataDir), segments, 'nothing is deleted before a checkpoint');

  // The next commit is refused and starts the early checkpoint; once it has deleted the
  // acknowledged segments, free space is back above the reserve and commits are accepted.
  const before = checkpoints();
  assert.equal(await store.commit('refused', batchOf(100_000, 50)), 'full');
  await waitFor('the first segment deleted', () => !fs.existsSync(segments[0]!));
  await waitFor('a commit accepted', () => store.fits('late', batchOf(200_000, 50)));
  assert.equal(await store.commit('late', batchOf(200_000, 50)), 'ok');
  assert.equal(checkpoints(), before + 1, 'one early checkpoint');
  const left = segmentFiles(dataDir);
  assert.ok(left.length < segments.length - 1, `${segments.length - left.length} segments deleted`);
  assert.equal(early().length, 1, 'logged once');
  assert.equal(early()[0]!.level, LEVEL.info);
  assert.ok(Number(early()[0]!['segments']) >= 2, `${String(early()[0]!['segments'])} segments to delete`);
  assert.ok(lines.some((l) => /above minimumRequiredSpace again/.test(l.msg)));

  // Below the reserve again with nothing acknowledged: refusals start no checkpoint.
  const refill: number[] = [];
  for (let outcome = 'ok'; outcome === 'ok'; n++) {
    outcome = await store.commit(`p${n}`, batchOf(n * 50, 50));
    if (outcome === 'ok') refill.push(n);
  }
  for (let i = 0; i < 100; i++) assert.equal(store.fits(`f${i}`, batchOf(0, 50)), false);
  assert.equal(checkpoints(), before + 1, 'no checkpoint without acknowledged segments');
  assert.equal(early().length, 1);

  // Nothing unacknowledged was deleted: the leased and queued events survive a crash and replay.
  await store.simulateCrash();
  const { store: again, lines: replayLines } = makeStore({ ...options, freeSpace: () => Number.POSITIVE_INFINITY });
  await again.open();
  assert.ok(!replayLines.some((l) => /torn|damaged|Repair/.test(l.msg)), 'the log is intact');
  const numbers = (batches: number[]) => batches.flatMap((i) => Array.from({ length: 50 }, (_, k) => i * 50 + k));
  const expected = [...numbers(put.slice(-4)), ...Array.from({ length: 50 }, (_, k) => 200_000 + k), ...numbers(refill)];
  assert.deepEqual(numbersOf(await again.take('all', 100_000)), expected);
  await again.close();
});
