import { execFileSync } from 'node:child_process';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileRollSink } from './file-roll-sink.js';
import { configFor, fakeContext, NO_SIGNAL, textBatch, waitUntil } from '../test-support.js';

const roots: string[] = [];
after(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-file-roll-'));
  roots.push(dir);
  return dir;
}

async function setup(values: Record<string, unknown>) {
  const ctx = fakeContext();
  const sink = fileRollSink.create(configFor(fileRollSink, { 'sink.rollInterval': 0, ...values }), ctx);
  await sink.start();
  return { ctx, sink };
}

async function files(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort((a, b) => Number(a.split('-').pop()!.split('.')[0]) - Number(b.split('-').pop()!.split('.')[0]));
}

function lines(from: number, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `line ${from + i}`);
}

test('every line is written once, in order, one file, Flume-style name', async () => {
  const dir = await tempDir();
  const { ctx, sink } = await setup({ 'sink.directory': dir, 'sink.pathManager.prefix': 'out-', 'sink.pathManager.extension': 'log' });
  for (let b = 0; b < 10; b++) assert.deepEqual(await sink.deliver(textBatch(lines(b * 100, 100)), NO_SIGNAL), { status: 'ok' });
  await sink.stop();
  const names = await files(dir);
  assert.equal(names.length, 1);
  assert.match(names[0]!, /^out-\d{13}-1\.log$/);
  assert.equal(await readFile(join(dir, names[0]!), 'utf8'), lines(0, 1000).join('\n') + '\n');
  assert.equal(ctx.counters.get('ConnectionCreatedCount'), 1);
  assert.equal(ctx.counters.get('ConnectionClosedCount'), 1);
});

test('the bytes of binary bodies are written unchanged; appendNewline = false joins bodies', async () => {
  const dir = await tempDir();
  const { sink } = await setup({ 'sink.directory': dir, 'sink.serializer.appendNewline': false });
  const bodies = [Buffer.from([0, 1, 0xff]), Buffer.from('\r\n'), Buffer.alloc(0), Buffer.from('end')];
  await sink.deliver(textBatch(bodies), NO_SIGNAL);
  await sink.stop();
  const [name] = await files(dir);
  assert.deepEqual(await readFile(join(dir, name!)), Buffer.concat(bodies));
});

test('header_and_text, also when named by its Flume class', async () => {
  const dir = await tempDir();
  const { sink } = await setup({
    'sink.directory': dir,
    'sink.serializer': 'org.apache.flume.serialization.HeaderAndBodyTextEventSerializer$Builder',
  });
  await sink.deliver(textBatch(['body'], { host: 'h1' }), NO_SIGNAL);
  await sink.stop();
  const [name] = await files(dir);
  assert.equal(await readFile(join(dir, name!), 'utf8'), '{host=h1} body\n');
});

test('rolls on the interval: the next batch goes to file n+1', async () => {
  const dir = await tempDir();
  const { ctx, sink } = await setup({ 'sink.directory': dir, 'sink.rollInterval': 1 });
  await sink.deliver(textBatch(['a1', 'a2']), NO_SIGNAL);
  await waitUntil(() => ctx.counters.get('ConnectionClosedCount') === 1, 'the roll', 5000);
  await sink.deliver(textBatch(['b1']), NO_SIGNAL);
  await sink.stop();
  const names = await files(dir);
  assert.equal(names.length, 2);
  assert.match(names[0]!, /^\d{13}-1$/);
  assert.equal(names[1], names[0]!.replace(/-1$/, '-2'));
  assert.equal(await readFile(join(dir, names[0]!), 'utf8'), 'a1\na2\n');
  assert.equal(await readFile(join(dir, names[1]!), 'utf8'), 'b1\n');
});

test('rolltime names the files by the time they were opened', async () => {
  const dir = await tempDir();
  const { sink } = await setup({ 'sink.directory': dir, 'sink.pathManager': 'rolltime' });
  await sink.deliver(textBatch(['x']), NO_SIGNAL);
  await sink.stop();
  assert.match((await files(dir))[0]!, /^\d{14}-1$/);
});

test('a missing directory is created at start and logged', async () => {
  const dir = join(await tempDir(), 'a', 'b');
  const { ctx, sink } = await setup({ 'sink.directory': dir });
  assert.ok(ctx.records.some((r) => r.msg === 'created the output directory' && r['directory'] === dir));
  await sink.deliver(textBatch(['x']), NO_SIGNAL);
  await sink.stop();
  assert.equal((await files(dir)).length, 1);
});

test('a directory that cannot be made (a file in its path) fails start with a clear config error', async () => {
  const root = await tempDir();
  await writeFile(join(root, 'file'), 'x');
  for (const dir of [join(root, 'file'), join(root, 'file', 'out')]) {
    await assert.rejects(setup({ 'sink.directory': dir }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'SLUICE_ERR_CONFIG');
      assert.match(err.message, new RegExp(`cannot create sink\\.directory ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: E(NOTDIR|EXIST)`));
      return true;
    });
  }
});

test('retry when the directory vanished; one error log; the retried batch lands once in a new file', async () => {
  const dir = await tempDir();
  const { ctx, sink } = await setup({ 'sink.directory': dir });
  assert.equal((await sink.deliver(textBatch(['a']), NO_SIGNAL)).status, 'ok');
  await rm(dir, { recursive: true });
  const first = await sink.deliver(textBatch(['b']), NO_SIGNAL);
  assert.equal(first.status, 'retry');
  assert.equal((await sink.deliver(textBatch(['b']), NO_SIGNAL)).status, 'retry');
  assert.equal(ctx.records.filter((r) => r.level === 50).length, 1, 'the error is logged once');
  await mkdir(dir);
  assert.equal((await sink.deliver(textBatch(['b']), NO_SIGNAL)).status, 'ok');
  await sink.stop();
  const names = await files(dir);
  assert.equal(names.length, 1);
  assert.equal(await readFile(join(dir, names[0]!), 'utf8'), 'b\n');
  assert.ok(ctx.records.some((r) => r.msg === 'writing to the output directory again'));
});

test('a file deleted while open is replaced by a new one', async () => {
  const dir = await tempDir();
  const { sink } = await setup({ 'sink.directory': dir });
  await sink.deliver(textBatch(['a']), NO_SIGNAL);
  const [name] = await files(dir);
  await rm(join(dir, name!));
  assert.equal((await sink.deliver(textBatch(['b']), NO_SIGNAL)).status, 'ok');
  await sink.stop();
  const names = await files(dir);
  assert.deepEqual(names, [name!.replace(/-1$/, '-2')]);
  assert.equal(await readFile(join(dir, names[0]!), 'utf8'), 'b\n');
});

test('retry when the directory path is not a directory any more', async () => {
  const dir = await tempDir();
  const { sink } = await setup({ 'sink.directory': dir });
  await rm(dir, { recursive: true });
  await writeFile(dir, 'not a directory');
  const result = await sink.deliver(textBatch(['x']), NO_SIGNAL);
  assert.equal(result.status, 'retry');
  assert.match(result.status === 'retry' ? (result.error as NodeJS.ErrnoException).code! : '', /ENOTDIR/);
  await sink.stop();
});

test('retry when the directory is not writable', async () => {
  const dir = await tempDir();
  // Root ignores permission bits: as root, make the directory a read-only tmpfs instead (EROFS).
  const asRoot = process.getuid?.() === 0;
  if (asRoot) execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', dir]);
  else await chmod(dir, 0o500);
  try {
    const { sink } = await setup({ 'sink.directory': dir });
    assert.equal((await sink.deliver(textBatch(['x']), NO_SIGNAL)).status, 'retry');
    await sink.stop();
  } finally {
    if (asRoot) execFileSync('umount', [dir]);
    else await chmod(dir, 0o700);
  }
});

test('an existing file name is never overwritten', async () => {
  const dir = await tempDir();
  const { sink } = await setup({ 'sink.directory': dir, 'sink.pathManager': 'rolltime' });
  // Pre-create the names this second (and the next) would get.
  const now = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  for (const t of [now, new Date(now.getTime() + 1000)]) {
    const s = `${t.getFullYear()}${pad(t.getMonth() + 1)}${pad(t.getDate())}${pad(t.getHours())}${pad(t.getMinutes())}${pad(t.getSeconds())}`;
    await writeFile(join(dir, `${s}-1`), 'keep me');
  }
  await sink.deliver(textBatch(['new']), NO_SIGNAL);
  await sink.stop();
  const contents = await Promise.all((await readdir(dir)).map((n) => readFile(join(dir, n), 'utf8')));
  assert.equal(contents.filter((c) => c === 'keep me').length, 2);
  assert.equal(contents.filter((c) => c === 'new\n').length, 1);
});

test('check() refuses avro_event', () => {
  const config = configFor(fileRollSink, { 'sink.directory': '/tmp' });
  assert.deepEqual(fileRollSink.check!(config), []);
  assert.deepEqual(fileRollSink.check!({ ...config, 'sink.serializer': 'avro_event' }), [
    'sink.serializer: avro_event is not supported yet; use TEXT or header_and_text',
  ]);
});
