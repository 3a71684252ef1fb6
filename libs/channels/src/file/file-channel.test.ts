import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { Counters, DELIVERED, type Sink } from '@sluice/core';
import { createRegistry, defineFactory, loadAgentConfig, type Diagnostic } from '@sluice/config';
import { memoryLogger } from '@sluice/testkit';
import { numbered } from '../testing/store-contract.js';
import { fileChannel } from './file-channel.js';
import { tempDir } from '../testing/file-fixtures.js';

const roots: string[] = [];
after(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

const nullSink = defineFactory({
  kind: 'sink',
  type: 'test_null',
  aliases: [],
  doc: 'Discards everything (tests).',
  keys: {},
  create: (): Sink => ({ batchSize: 100, start: async () => undefined, stop: async () => undefined, deliver: async () => DELIVERED }),
});
const defaultProcessor = defineFactory({
  kind: 'processor',
  type: 'default',
  aliases: [],
  doc: 'The one sink of the group (tests).',
  keys: {},
  create: (_config, sinks) => ({ batchSize: sinks[0]!.sink.batchSize, deliver: (batch, signal) => sinks[0]!.sink.deliver(batch, signal) }),
});
const registry = createRegistry([fileChannel, nullSink, defaultProcessor]);

function load(channelLines: string[]) {
  const text = [
    'a1.channels = c1',
    'a1.sinks = k1',
    'a1.sinks.k1.type = test_null',
    'a1.sinks.k1.channel = c1',
    ...channelLines.map((l) => `a1.channels.c1.${l}`),
  ].join('\n');
  return loadAgentConfig({ file: 'a1.properties', agent: 'a1', registry, text });
}

const errorsOf = (d: readonly Diagnostic[]) => d.filter((x) => x.severity === 'error').map((x) => x.message);

test("Flume's class name and keys are accepted, with Flume's defaults", () => {
  const root = tempDir();
  roots.push(root);
  const [d1, d2] = [path.join(root, 'd1'), path.join(root, 'd2')];
  const r = load(['type = org.apache.flume.channel.file.FileChannel', `dataDirs = ${d1}, ${d2}`]);
  assert.deepEqual(errorsOf(r.diagnostics), []);
  const c = r.topology!.channels[0]!;
  assert.equal(c.type, 'file');
  const config = c.config;
  assert.deepEqual(config['dataDirs'], [d1, d2]);
  assert.equal(config['capacity'], 1_000_000);
  assert.equal(config['transactionCapacity'], 10_000);
  assert.equal(config['checkpointInterval'], 30_000);
  assert.equal(config['maxFileSize'], 1_623_195_647);
  assert.equal(config['minimumRequiredSpace'], 524_288_000);
  assert.equal(config['keep-alive'], 3);
  assert.equal(config['fsyncPerTransaction'], true);
  assert.equal(config['fsyncInterval'], 5);
  assert.equal(config['checkpointOnClose'], true);
  assert.equal(config['useDualCheckpoints'], false);
  assert.equal(config['repair'], false);
});

test('encryption keys are refused as not supported, never ignored', () => {
  const r = load(['type = file', 'encryption.activeKey = key-0', 'encryption.keyProvider = JCEKSFILE', 'encryption.keyProvider.keyStoreFile = /k.jceks']);
  const errors = errorsOf(r.diagnostics);
  assert.equal(errors.length, 1, errors.join('\n'));
  assert.match(errors[0]!, /encryption is not supported/);
  assert.match(errors[0]!, /encryption\.activeKey/);
  assert.equal(r.topology, undefined);
});

test('inconsistent keys are errors, each reported', () => {
  const errors = errorsOf(
    load(['type = file', 'capacity = 100', 'transactionCapacity = 1000', 'useDualCheckpoints = true', 'minimumRequiredSpace = 1000', 'dataDirs = /a,/a'])
      .diagnostics,
  );
  assert.ok(errors.some((e) => /minimumRequiredSpace: invalid value "1000", expected an integer of at least 1048576/.test(e)), errors.join('\n'));
  // The cross-key check runs only once every value is valid: fix the value, see the rest.
  const more = errorsOf(load(['type = file', 'capacity = 100', 'transactionCapacity = 1000', 'useDualCheckpoints = true', 'dataDirs = /a,/a']).diagnostics);
  assert.ok(more.some((e) => /transactionCapacity \(1000\) must not exceed capacity \(100\)/.test(e)), more.join('\n'));
  assert.ok(more.some((e) => /backupCheckpointDir is not set/.test(e)));
  assert.ok(more.some((e) => /same directory twice/.test(e)));
  const same = errorsOf(load(['type = file', 'checkpointDir = /cp', 'useDualCheckpoints = true', 'backupCheckpointDir = /cp']).diagnostics);
  assert.ok(same.some((e) => /must differ/.test(e)));
  const stray = errorsOf(load(['type = file', 'backupCheckpointDir = /b']).diagnostics);
  assert.ok(stray.some((e) => /useDualCheckpoints is false/.test(e)));
});

test('the directories default under the agent data dir, created at open', async () => {
  const dataDir = tempDir();
  roots.push(dataDir);
  const r = load(['type = file', 'capacity = 50', 'transactionCapacity = 10']);
  assert.deepEqual(errorsOf(r.diagnostics), []);
  const counters = new Counters();
  const { logger } = memoryLogger();
  const store = fileChannel.create(r.topology!.channels[0]!.config as never, { agent: 'a1', name: 'c1', logger, counters, dataDir });
  assert.equal(store.capacity, 50);
  await store.open();
  assert.ok(fs.statSync(path.join(dataDir, 'c1', 'checkpoint')).isDirectory());
  assert.ok(fs.statSync(path.join(dataDir, 'c1', 'data')).isDirectory());
  assert.equal(await store.commit('p', numbered(0, 5)), 'ok');
  assert.equal(counters.get('Open'), 1);
  await store.close();
  assert.ok(fs.existsSync(path.join(dataDir, 'c1', 'checkpoint', 'checkpoint')));
});

test('missing configured directories pass the check untouched, and are created at open with mode 0700', async () => {
  const root = tempDir();
  roots.push(root);
  const cp = path.join(root, 'new', 'checkpoint');
  const backup = path.join(root, 'new', 'backup');
  const d1 = path.join(root, 'new', 'data', 'one');
  const d2 = path.join(root, 'other', 'two');
  const r = load(['type = file', `checkpointDir = ${cp}`, `dataDirs = ${d1},${d2}`, 'useDualCheckpoints = true', `backupCheckpointDir = ${backup}`]);
  assert.deepEqual(errorsOf(r.diagnostics), []);
  assert.equal(fs.existsSync(path.join(root, 'new')), false, 'the check creates nothing');
  assert.equal(fs.existsSync(path.join(root, 'other')), false, 'the check creates nothing');

  const { logger } = memoryLogger();
  const store = fileChannel.create(r.topology!.channels[0]!.config as never, { agent: 'a1', name: 'c1', logger, counters: new Counters(), dataDir: root });
  await store.open();
  const created = [path.join(root, 'new'), cp, backup, path.join(root, 'new', 'data'), d1, path.join(root, 'other'), d2];
  for (const dir of created) {
    const stat = fs.statSync(dir);
    assert.ok(stat.isDirectory(), dir);
    assert.equal((stat.mode & 0o777).toString(8), '700', `mode of ${dir}`);
  }
  assert.equal(await store.commit('p', numbered(0, 3)), 'ok');
  await store.close();
});

test('a directory that cannot be created is an error naming the key, the path and why: at check time and at open', async () => {
  const root = tempDir();
  roots.push(root);
  const file = path.join(root, 'a-file');
  fs.writeFileSync(file, 'x');
  const bad = path.join(file, 'data');
  const lines = ['type = file', `checkpointDir = ${path.join(root, 'cp')}`, `dataDirs = ${bad}`];
  const r = load(lines);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  assert.equal(errors.length, 1, errors.map((e) => e.message).join('\n'));
  assert.equal(errors[0]!.message, `a1.channels.c1.dataDirs: cannot create directory ${bad}: ${file} is not a directory`);
  assert.equal(errors[0]!.line, 4 + lines.indexOf(`dataDirs = ${bad}`) + 1, 'reported at the dataDirs line');
  assert.equal(fs.existsSync(path.join(root, 'cp')), false, 'the check creates nothing');

  // The same problem appearing between the check and the start fails the open, as clearly.
  const good = path.join(root, 'later', 'data');
  const ok = load(['type = file', `checkpointDir = ${path.join(root, 'cp')}`, `dataDirs = ${good}`]);
  assert.deepEqual(errorsOf(ok.diagnostics), []);
  fs.writeFileSync(path.join(root, 'later'), 'x');
  const { logger } = memoryLogger();
  const store = fileChannel.create(ok.topology!.channels[0]!.config as never, { agent: 'a1', name: 'c1', logger, counters: new Counters(), dataDir: root });
  await assert.rejects(store.open(), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'SLUICE_ERR_CONFIG');
    assert.equal(err.message, `file channel c1, dataDirs: cannot create directory ${good}: ${path.join(root, 'later')} is not a directory`);
    return true;
  });
});

test('a parent directory the agent cannot write into is reported at check time as permission denied', () => {
  const root = tempDir();
  roots.push(root);
  const locked = path.join(root, 'locked');
  fs.mkdirSync(locked, { mode: 0o555 });
  const want = `permission denied: cannot create a directory in ${locked}`;
  if (process.getuid?.() === 0) {
    // Root may write anywhere: the probe runs as an unprivileged user, as an agent would.
    fs.chmodSync(root, 0o755);
    const probe = `process.stdout.write(String(require(${JSON.stringify(path.join(__dirname, 'dir-probe.js'))}).dirProblem(${JSON.stringify(path.join(locked, 'cp'))})))`;
    const child = spawnSync(process.execPath, ['-e', probe], { uid: 65534, gid: 65534, encoding: 'utf8' });
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout, want);
    return;
  }
  const errors = errorsOf(load(['type = file', `checkpointDir = ${path.join(locked, 'cp')}`, `dataDirs = ${path.join(root, 'd')}`]).diagnostics);
  assert.deepEqual(errors, [`a1.channels.c1.checkpointDir: cannot create directory ${path.join(locked, 'cp')}: ${want}`]);
});

test('an existing file named as a directory is reported at check time', () => {
  const root = tempDir();
  roots.push(root);
  const file = path.join(root, 'cp');
  fs.writeFileSync(file, 'x');
  const errors = errorsOf(load(['type = file', `checkpointDir = ${file}`, `dataDirs = ${path.join(root, 'd')}`]).diagnostics);
  assert.deepEqual(errors, [`a1.channels.c1.checkpointDir: cannot use directory ${file}: ${file} exists and is not a directory`]);
});
