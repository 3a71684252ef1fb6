import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { numbered } from '../testing/store-contract.js';
import { LOCK_FILE, processStartTime } from './dir-lock.js';
import { LEVEL, makeStore, tempDir, testOptions } from '../testing/file-fixtures.js';

const roots: string[] = [];
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

function fresh() {
  const root = tempDir();
  roots.push(root);
  const options = testOptions(root);
  for (const d of [options.checkpointDir, ...options.dataDirs]) fs.mkdirSync(d, { recursive: true });
  return options;
}

function writeLock(dir: string, owner: { pid: number; start: string | null }): void {
  fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ ...owner, host: os.hostname() }));
}

async function liveChild(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
  children.push(child);
  await new Promise((resolve) => child.once('spawn', resolve));
  return child;
}

test('the start time of a process is read from /proc; a pid with no process has none', async () => {
  const child = await liveChild();
  const mine = processStartTime(process.pid);
  assert.ok(mine === null || /^\d+$/.test(mine));
  if (mine !== null) assert.ok(processStartTime(child.pid!) !== null);
  assert.equal(processStartTime(2 ** 22 + 12345), null);
});

test('a lock held by a live process refuses the open, naming its pid', async () => {
  const options = fresh();
  const child = await liveChild();
  writeLock(options.dataDirs[0]!, { pid: child.pid!, start: processStartTime(child.pid!) });
  const { store } = makeStore(options);
  await assert.rejects(store.open(), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'SLUICE_ERR_LOCKED');
    assert.ok(err.message.includes(`process ${child.pid}`), err.message);
    assert.ok(err.message.includes(options.dataDirs[0]!), err.message);
    return true;
  });
  // The refused open released the locks it had taken (the checkpoint dir's).
  assert.equal(fs.existsSync(path.join(options.checkpointDir, LOCK_FILE)), false);
  assert.equal(JSON.parse(fs.readFileSync(path.join(options.dataDirs[0]!, LOCK_FILE), 'utf8')).pid, child.pid);
});

test('a stale lock (its process gone) is taken over with a warning', async () => {
  const options = fresh();
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  const pid = child.pid!;
  await new Promise((resolve) => child.once('exit', resolve));
  writeLock(options.dataDirs[0]!, { pid, start: '1' });
  const { store, lines } = makeStore(options);
  await store.open();
  const warn = lines.find((l) => /stale lock/.test(l.msg));
  assert.ok(warn);
  assert.equal(warn.level, LEVEL.warn);
  assert.equal(warn['stalePid'], pid);
  assert.equal(JSON.parse(fs.readFileSync(path.join(options.dataDirs[0]!, LOCK_FILE), 'utf8')).pid, process.pid);
  await store.close();
  assert.equal(fs.existsSync(path.join(options.dataDirs[0]!, LOCK_FILE)), false, 'close removes the lock');
});

test('a lock whose pid now belongs to another process (other start time) is stale', async (t) => {
  const child = await liveChild();
  const start = processStartTime(child.pid!);
  if (start === null) return t.skip('no /proc here');
  const options = fresh();
  writeLock(options.dataDirs[0]!, { pid: child.pid!, start: String(Number(start) + 1) });
  const { store, lines } = makeStore(options);
  await store.open();
  assert.ok(lines.some((l) => /stale lock/.test(l.msg) && /another process/.test(String(l['reason']))));
  await store.close();
});

test('two stores of one process on the same directories: the second is refused until the first closes', async () => {
  const options = fresh();
  const first = makeStore(options).store;
  await first.open();
  await assert.rejects(makeStore(options).store.open(), { code: 'SLUICE_ERR_LOCKED' });
  await first.close();
  const second = makeStore(options).store;
  await second.open();
  await second.close();
});

test('the lock left by a crashed store is taken over by the next one', async () => {
  const options = fresh();
  const first = makeStore(options).store;
  await first.open();
  await first.commit('p', numbered(0, 3));
  await first.simulateCrash();
  assert.ok(fs.existsSync(path.join(options.dataDirs[0]!, LOCK_FILE)), 'a crash leaves the lock file');
  const { store, lines } = makeStore(options);
  await store.open();
  assert.ok(lines.some((l) => /stale lock/.test(l.msg)));
  assert.equal(store.size, 3);
  await store.close();
});

/** The pid of an exited, unreaped child of `parent` (a zombie), once there is one. */
async function zombieChildOf(parent: number): Promise<number | undefined> {
  for (let i = 0; i < 100; i++) {
    for (const name of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const stat = fs.readFileSync(`/proc/${name}/stat`, 'latin1');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        if (fields[0] === 'Z' && Number(fields[1]) === parent) return Number(name);
      } catch {
        // gone meanwhile
      }
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return undefined;
}

test('a lock held by a zombie (exited, not yet reaped: right after a kill -9 of an agent) is stale', async (t) => {
  if (processStartTime(process.pid) === null) return t.skip('no /proc here');
  // `sleep 0` exits at once and its parent, now `sleep 30` after exec, never reaps it.
  const parent = spawn('sh', ['-c', 'sleep 0 & exec sleep 30'], { stdio: 'ignore' });
  children.push(parent);
  const zombie = await zombieChildOf(parent.pid!);
  assert.ok(zombie !== undefined, 'a zombie appeared');
  const options = fresh();
  writeLock(options.dataDirs[0]!, { pid: zombie, start: processStartTime(zombie) });
  const { store, lines } = makeStore(options);
  await store.open();
  const warn = lines.find((l) => /stale lock/.test(l.msg));
  assert.ok(warn, 'taken over');
  assert.equal(warn['stalePid'], zombie);
  assert.match(String(warn['reason']), /not yet reaped/);
  await store.close();
});

test('the lock error names what the holder runs', async () => {
  const options = fresh();
  const child = await liveChild();
  writeLock(options.checkpointDir, { pid: child.pid!, start: processStartTime(child.pid!) });
  await assert.rejects(makeStore(options).store.open(), (err: Error) => {
    assert.match(err.message, new RegExp(`locked by process ${child.pid} \\(.*setTimeout`), err.message);
    return true;
  });
});
