import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, test } from 'node:test';
import { bodies, numbered } from '../testing/store-contract.js';
import { DIRECT_BLOCK, DirectWriter } from './direct-writer.js';
import { createSegment } from './segment.js';
import { makeStore, recordOffsets, recordsEnd, segmentFiles, tempDir, testOptions } from '../testing/file-fixtures.js';

const roots: string[] = [];
after(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

function root(): string {
  const r = tempDir();
  roots.push(r);
  return r;
}

/**
 * Whether the test temp dir's file system takes O_DIRECT. Where it does not (tmpfs), the direct
 * path cannot be tested here: that fails under CI=true and is skipped with the reason elsewhere.
 */
function directOrSkip(t: { skip(reason: string): void }, dir: string): DirectWriter | undefined {
  const w = DirectWriter.open(dir);
  if (w) return w;
  const why = `the file system of ${dir} refuses O_DIRECT`;
  if (process.env['CI'] === 'true') assert.fail(`${why}; CI must run these tests on a disk`);
  t.skip(why);
  return undefined;
}

test('direct writes: runs that start and end inside blocks leave exactly the bytes written, then zeros to the block end', async (t) => {
  const dir = root();
  const w = directOrSkip(t, dir);
  if (!w) return;
  const seg = createSegment(dir, 1, 0);
  try {
    const want: Buffer[] = [fs.readFileSync(seg.path)]; // the header
    let pos = seg.written;
    // Lengths that cross block boundaries, end exactly on one, and one run larger than the 4 MiB staging buffer.
    for (const len of [100, 4096 - 140, 5000, 3 * DIRECT_BLOCK, 1, 4 * 1024 * 1024 + 777, 10]) {
      const bytes = Buffer.alloc(len, (pos % 251) + 1);
      await w.write(seg, [bytes.subarray(0, len >> 1), bytes.subarray(len >> 1)], pos, len);
      want.push(bytes);
      pos += len;
      const file = fs.readFileSync(seg.path);
      assert.equal(file.length % DIRECT_BLOCK, 0, 'the file ends on a block boundary');
      assert.ok(file.subarray(0, pos).equals(Buffer.concat(want)), `every byte up to ${pos} as written`);
      assert.ok(file.subarray(pos).every((b) => b === 0), 'zeros after the last byte');
    }
  } finally {
    seg.close();
  }
});

test('a store on a disk writes through O_DIRECT: a crash leaves padding that the next open cuts without a word; a clean close leaves none', async (t) => {
  const r = root();
  if (!directOrSkip(t, r)) return;
  const options = testOptions(r, { checkpointOnClose: false, maxFileSize: 512 });
  const { store } = makeStore(options);
  await store.open();
  for (let i = 0; i < 20; i++) assert.equal(await store.commit(`p${i}`, numbered(i * 10, 10)), 'ok');
  await store.simulateCrash();
  const files = segmentFiles(options.dataDirs[0]!);
  assert.ok(files.length >= 3, `segments rolled (${files.length})`);
  for (const f of files) assert.equal(fs.statSync(f).size % DIRECT_BLOCK, 0, `${f} was written in whole blocks`);
  assert.ok(files.some((f) => fs.statSync(f).size > recordsEnd(f)), 'some segment ends in zero padding');

  const { store: again, lines } = makeStore(options);
  await again.open();
  assert.deepEqual(
    lines.filter((l) => l.level >= 40 && !/stale lock/.test(l.msg)).map((l) => l.msg),
    [],
    'no warning: padding in rolled and active segments is no damage',
  );
  assert.deepEqual(bodies(await again.take('t', 1000)), Array.from({ length: 200 }, (_, i) => i));
  assert.equal(await again.ack('t'), 'ok');
  await again.close();
  const active = segmentFiles(options.dataDirs[0]!).at(-1)!;
  assert.equal(fs.statSync(active).size, recordsEnd(active), 'closed cleanly: the active segment ends at its last record');
  assert.ok(recordOffsets(active).length > 0);
});

test('directIo = false writes through the page cache: no padding, the same log', async () => {
  const r = root();
  const options = testOptions(r, { checkpointOnClose: false, maxFileSize: 512, directIo: false });
  const { store } = makeStore(options);
  await store.open();
  for (let i = 0; i < 20; i++) assert.equal(await store.commit(`p${i}`, numbered(i * 10, 10)), 'ok');
  await store.simulateCrash();
  for (const f of segmentFiles(options.dataDirs[0]!)) assert.equal(fs.statSync(f).size, recordsEnd(f), `${f} ends at its last record`);
  const again = makeStore({ ...options, directIo: true }).store;
  await again.open();
  assert.deepEqual(bodies(await again.take('t', 1000)), Array.from({ length: 200 }, (_, i) => i), 'read back by a direct-writing store');
  await again.close();
});
