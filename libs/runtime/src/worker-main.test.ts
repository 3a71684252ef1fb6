import assert from 'node:assert/strict';
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { SPEC_WAIT_MS } from './worker-spec.js';

const WORKER_MAIN = join(__dirname, 'worker-main.js');

/** Resolves with a process's exit code and what it wrote to stderr. */
function exited(child: ChildProcess): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
}

function forkWorker(): ChildProcess {
  return fork(WORKER_MAIN, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
}

test('a worker started by hand, without the IPC channel, says so and exits 64', async () => {
  const { code, stderr } = await exited(spawn(process.execPath, [WORKER_MAIN], { stdio: ['ignore', 'ignore', 'pipe'] }));
  assert.equal(code, 64);
  assert.match(stderr, /started by the sluice supervisor, not by hand/);
});

test('a worker whose supervisor goes away before sending its definition exits with an error', async () => {
  const child = forkWorker();
  const result = exited(child);
  child.disconnect();
  const { code, stderr } = await result;
  assert.equal(code, 70);
  assert.match(stderr, /supervisor went away before sending the worker its definition/);
});

test('a worker whose first message is not its definition exits with an error', async () => {
  const child = forkWorker();
  const result = exited(child);
  child.send({ type: 'stop', drain: false, deadlineMs: 100 });
  const { code, stderr } = await result;
  assert.equal(code, 70);
  assert.match(stderr, /first message is "stop", not the worker's definition/);
});

test('a worker that never receives its definition exits with an error after the wait', { timeout: SPEC_WAIT_MS + 10_000 }, async () => {
  const started = Date.now();
  const { code, stderr } = await exited(forkWorker());
  assert.equal(code, 70);
  assert.match(stderr, new RegExp(`no definition from the supervisor within ${SPEC_WAIT_MS} ms`));
  assert.ok(Date.now() - started >= SPEC_WAIT_MS, 'it waited for the definition first');
});
