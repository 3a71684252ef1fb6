import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import pino from 'pino';
import { SluiceError } from '@sluice/core';
import { staleSocket } from '@sluice/core/testing';
import type { AgentSnapshot, ComponentCounters } from '@sluice/metrics';
import { CONTROL_SOCKET, defaultRunDir, type ControlHandler, type ReloadResult } from '@sluice/runtime';
// ControlServer is not in @sluice/runtime's index yet (the supervisor integration adds it).
import { ControlServer } from '@sluice/runtime';
import { CTL_HELP, parseCtlArgs, runCtl, type CtlCommand, type CtlIo } from './ctl.js';

/** A snapshot whose counters move by a fixed amount per status call, one reported second apart. */
function snapshotAt(n: number): AgentSnapshot {
  const c = (key: string, worker: string, type: string, values: Record<string, number>): ComponentCounters => {
    const [group, name] = key.split('.') as [ComponentCounters['group'], string];
    return { key, group, name, type, worker, startTime: 1, stopTime: 0, values };
  };
  const w = (id: string, type: string, pid: number) => {
    const [kind, name] = id.split(':') as ['channel' | 'sink' | 'source', string];
    return { id, kind, name, type, pid, state: 'running' as const, restarts: 0, startedAt: 1, uptimeMs: 61_000, rssBytes: null, lastExit: null, failure: null };
  };
  return {
    agent: 'a1',
    pid: 4242,
    state: 'running',
    startedAt: 1_000_000,
    updatedAt: 1_000_000 + 60_000 + n * 1000,
    workers: [w('source:r1', 'seq', 11), w('channel:c1', 'memory', 12), w('sink:k1', 'null', 13)],
    components: [
      c('SOURCE.r1', 'source:r1', 'seq', { EventAcceptedCount: 500 * n }),
      c('CHANNEL.c1', 'channel:c1', 'memory', { ChannelSize: 100 * n, ChannelCapacity: 1000, EventPutSuccessCount: 500 * n, EventTakeSuccessCount: 400 * n }),
      c('SINK.k1', 'sink:k1', 'null', { EventDrainSuccessCount: 400 * n }),
    ],
  };
}

function fakeHandler(): ControlHandler & { calls: string[] } {
  let n = 0;
  const calls: string[] = [];
  return {
    calls,
    status: () => {
      calls.push('status');
      return snapshotAt(n++);
    },
    metrics: () => ({ 'CHANNEL.c1': { ChannelSize: '3', EventPutSuccessCount: '10' } }),
    restart: async (component) => {
      calls.push(`restart ${component}`);
      if (component !== 'k1') throw new SluiceError('SLUICE_ERR_UNKNOWN_COMPONENT', `no component "${component}" in agent a1`);
      return { restarted: ['sink:k1'] };
    },
    stop: () => {
      calls.push('stop');
      return { stopping: true };
    },
    reload: async (force): Promise<ReloadResult> => {
      calls.push(`reload ${force}`);
      return force ? { changed: true, restarted: ['sink:k1'], started: [], stopped: ['channel:c2'] } : { changed: false, restarted: [], started: [], stopped: [] };
    },
  };
}

function tempRunDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-ctl-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function agent(t: TestContext) {
  const runDir = tempRunDir(t);
  const handler = fakeHandler();
  const server = new ControlServer(join(runDir, CONTROL_SOCKET), handler, pino({ level: 'silent' }));
  await server.listen();
  t.after(() => server.close());
  return { runDir, handler };
}

function captureIo(over: Partial<CtlIo> = {}): CtlIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    out: () => out,
    err: () => err,
    ...over,
  };
}

async function ctl(args: string[], over: Partial<CtlIo> = {}) {
  const io = captureIo(over);
  const code = await runCtl(args, io);
  return { code, out: io.out(), err: io.err() };
}

/** A unix server for replies the real one never sends. */
async function rawServer(t: TestContext, path: string, onConnection: (socket: Socket) => void): Promise<Server> {
  // Every connection is read (and the input dropped), so the client's close is seen and close() can finish.
  const server = createServer((socket) => socket.resume());
  server.on('connection', onConnection);
  await new Promise<void>((resolve) => server.listen(path, resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return server;
}

test('parseCtlArgs: defaults, run dir and per-command options', () => {
  const a = parseCtlArgs(['-n', 'a1', 'status']) as CtlCommand;
  assert.equal(a.runDir, defaultRunDir('a1'));
  assert.equal(a.socketPath, join(defaultRunDir('a1'), 'control.sock'));
  assert.equal(a.timeoutMs, 10_000);
  assert.deepEqual(a.action, { op: 'status', json: false });
  const b = parseCtlArgs(['top', '--run-dir', '/r', '--interval', '0.5', '--iterations', '3', '--timeout', '2']) as CtlCommand;
  assert.deepEqual(b, { agent: undefined, runDir: '/r', socketPath: '/r/control.sock', timeoutMs: 2000, action: { op: 'top', intervalMs: 500, iterations: 3 } });
  assert.deepEqual((parseCtlArgs(['-n', 'a1', 'restart', 'sink:g1']) as CtlCommand).action, { op: 'restart', component: 'sink:g1' });
  assert.deepEqual((parseCtlArgs(['-n', 'a1', 'reload', '--force']) as CtlCommand).action, { op: 'reload', force: true });
  assert.deepEqual((parseCtlArgs(['-n', 'a1', 'status', '--json']) as CtlCommand).action, { op: 'status', json: true });
  assert.equal(parseCtlArgs(['-n', 'a1', 'status', '-h']), 'help');
});

test('parseCtlArgs: usage errors say what is wrong', () => {
  const cases: [string[], RegExp][] = [
    [['status'], /missing -n\/--name/],
    [['-n', 'a1'], /missing COMMAND/],
    [['-n', 'a1', 'explode'], /unknown command "explode"/],
    [['-n', 'a1', 'restart'], /restart needs a COMPONENT/],
    [['-n', 'a1', 'restart', 'k1', 'k2'], /unexpected argument "k2"/],
    [['-n', 'a1', 'stop', 'now'], /unexpected argument "now"/],
    [['-n', 'a1', 'restart', 'k1', '--force'], /--force is an option of `ctl reload`/],
    [['-n', 'a1', 'status', '--interval', '1'], /--interval is an option of `ctl top`/],
    [['-n', 'a1', 'top', '--interval', '0'], /--interval needs a positive number/],
    [['-n', 'a1', 'top', '--iterations', '1.5'], /--iterations needs a positive integer/],
    [['-n', 'a1', 'status', '--timeout', 'soon'], /--timeout needs a positive number/],
    [['-n', '../x', 'status'], /not an agent name/],
    [['-n', 'a1', 'status', '--bogus'], /Unknown option '--bogus'/],
  ];
  for (const [args, message] of cases) {
    assert.throws(() => parseCtlArgs(args), (err: SluiceError) => err.code === 'SLUICE_ERR_USAGE' && message.test(err.message), args.join(' '));
  }
});

test('help and usage exit codes', async () => {
  assert.deepEqual(await ctl(['--help']), { code: 0, out: CTL_HELP, err: '' });
  const bad = await ctl(['-n', 'a1', 'explode']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /^sluice ctl: unknown command "explode".*\nTry `sluice ctl --help`\.\n$/);
});

test('status prints the table; --json the raw snapshot', async (t) => {
  const { runDir } = await agent(t);
  const table = await ctl(['--run-dir', runDir, 'status']);
  assert.equal(table.code, 0, table.err);
  const lines = table.out.split('\n');
  assert.equal(lines[0], 'agent a1 (pid 4242) running, up 1m00s');
  assert.match(lines[1]!, /^COMPONENT +KIND +TYPE +PID +STATE +RESTARTS +UPTIME +SIZE +CAPACITY +FILL$/);
  assert.match(lines[2]!, /^source:r1 +source +seq +11 +running +0 +1m01s +- +- +-$/);
  assert.match(lines[3]!, /^channel:c1 +channel +memory +12 +running +0 +1m01s +0 +1000 +0\.0%$/);
  assert.match(lines[4]!, /^sink:k1 +sink +null +13 +running +0 +1m01s/);
  const json = await ctl(['--run-dir', runDir, 'status', '--json']);
  assert.deepEqual(JSON.parse(json.out), snapshotAt(1));
});

test('restart, stop, reload and metrics', async (t) => {
  const { runDir, handler } = await agent(t);
  assert.deepEqual(await ctl(['--run-dir', runDir, 'restart', 'k1']), { code: 0, out: 'restarted sink:k1\n', err: '' });
  assert.deepEqual(await ctl(['--run-dir', runDir, 'reload']), { code: 0, out: 'no change: the config file matches the running agent\n', err: '' });
  assert.deepEqual(await ctl(['--run-dir', runDir, 'reload', '--force']), { code: 0, out: 'restarted sink:k1\nstopped channel:c2\n', err: '' });
  const metrics = await ctl(['--run-dir', runDir, 'metrics']);
  assert.equal(metrics.out, JSON.stringify({ 'CHANNEL.c1': { ChannelSize: '3', EventPutSuccessCount: '10' } }, null, 2) + '\n');
  assert.deepEqual(await ctl(['-n', 'a1', '--run-dir', runDir, 'stop']), { code: 0, out: 'agent a1 is stopping (gracefully, as on SIGTERM)\n', err: '' });
  assert.deepEqual(handler.calls, ['restart k1', 'reload false', 'reload true', 'stop']);
});

test("the agent's refusal exits 1 with its message", async (t) => {
  const { runDir } = await agent(t);
  assert.deepEqual(await ctl(['--run-dir', runDir, 'restart', 'nope']), { code: 1, out: '', err: 'sluice ctl: no component "nope" in agent a1\n' });
});

test('top: one frame per interval with rates from counter deltas, then exits', async (t) => {
  const { runDir, handler } = await agent(t);
  const r = await ctl(['--run-dir', runDir, 'top', '--interval', '0.02', '--iterations', '3']);
  assert.equal(r.code, 0, r.err);
  assert.equal(handler.calls.length, 3);
  const frames = r.out.split('sluice top: ').slice(1);
  assert.equal(frames.length, 3);
  assert.doesNotMatch(r.out, /\x1b\[/, 'no ANSI codes when stdout is not a terminal');
  assert.match(frames[0]!, /\nSOURCE\.r1 +seq +running +0 +-\n/, 'no rate before a second sample');
  // Each status call moves the counters by 500 in / 400 out, one reported second apart.
  for (const f of frames.slice(1)) {
    assert.match(f, /\nSOURCE\.r1 +seq +running +0 +500\n/);
    assert.match(f, /\nCHANNEL\.c1 +memory +running +0 +500 +400 +\[#+\.+\] /);
    assert.match(f, /\nSINK\.k1 +null +running +0 +400\n/);
  }
  assert.match(frames[2]!, /\[####\.{16}\] +20\.0% +200\/1000/);
});

test('top on a terminal redraws with an ANSI clear, and stops when aborted', async (t) => {
  const { runDir } = await agent(t);
  const stop = new AbortController();
  let frames = 0;
  const io: CtlIo = {
    stdout: {
      isTTY: true,
      write: (s: string) => {
        assert.ok(s.startsWith('\x1b[H\x1b[2J'));
        if (++frames === 2) stop.abort();
      },
    },
    stderr: { write: () => true },
    signal: stop.signal,
  };
  assert.equal(await runCtl(['--run-dir', runDir, 'top', '--interval', '0.02'], io), 0);
  assert.equal(frames, 2);
});

test('no socket: exit 3, names the agent, run dir and path', async (t) => {
  const runDir = tempRunDir(t);
  const r = await ctl(['-n', 'a1', '--run-dir', runDir, 'status']);
  assert.equal(r.code, 3);
  assert.equal(r.err, `sluice ctl: no agent a1 is running with run dir ${runDir} (no control socket at ${join(runDir, 'control.sock')})\n`);
  const missingDir = join(runDir, 'nope');
  assert.match((await ctl(['--run-dir', missingDir, 'stop'])).err, /^sluice ctl: no agent is running with run dir .*nope \(no control socket at/);
});

test('a stale socket left by a killed agent: exit 3, says so', async (t) => {
  const runDir = tempRunDir(t);
  await staleSocket(join(runDir, 'control.sock'));
  const r = await ctl(['-n', 'a1', '--run-dir', runDir, 'status']);
  assert.equal(r.code, 3);
  assert.equal(r.err, `sluice ctl: the control socket ${join(runDir, 'control.sock')} is stale: no agent is listening (it was killed?)\n`);
});

test('a file that is not a socket: exit 3', async (t) => {
  const runDir = tempRunDir(t);
  writeFileSync(join(runDir, 'control.sock'), '');
  const r = await ctl(['--run-dir', runDir, 'status']);
  assert.equal(r.code, 3);
  assert.match(r.err, /control\.sock is not a socket/);
});

test("another user's agent: permission denied, exit 3", async (t) => {
  const { runDir, handler } = await agent(t);
  const path = join(runDir, 'control.sock');
  if (process.getuid?.() === 0) {
    // Root may connect to anything: run ctl itself as nobody, against the agent's 0600 socket.
    chmodSync(runDir, 0o711);
    const script = `require(${JSON.stringify(join(__dirname, 'ctl.js'))}).runCtl(['--run-dir', ${JSON.stringify(runDir)}, 'status']).then((c) => { process.exitCode = c; })`;
    const res = spawnSync(process.execPath, ['-e', script], { uid: 65534, gid: 65534, encoding: 'utf8', timeout: 10_000 });
    assert.equal(res.status, 3, res.stderr);
    assert.equal(res.stderr, `sluice ctl: permission denied on ${path}: the agent belongs to another user (run ctl as that user or root)\n`);
  } else {
    // Not root: the owner loses access too once the mode allows nobody.
    chmodSync(path, 0o000);
    const r = await ctl(['--run-dir', runDir, 'status']);
    assert.equal(r.code, 3);
    assert.equal(r.err, `sluice ctl: permission denied on ${path}: the agent belongs to another user (run ctl as that user or root)\n`);
  }
  assert.deepEqual(handler.calls, []);
});

test('an agent that does not answer in time: exit 3 after --timeout', async (t) => {
  const runDir = tempRunDir(t);
  await rawServer(t, join(runDir, 'control.sock'), () => undefined);
  const r = await ctl(['--run-dir', runDir, '--timeout', '0.2', 'status']);
  assert.equal(r.code, 3);
  assert.match(r.err, /^sluice ctl: the agent did not answer on .*control\.sock within 0\.2 s/);
});

test('a connection closed without an answer, or a reply that is not the protocol', async (t) => {
  const runDir = tempRunDir(t);
  const path = join(runDir, 'control.sock');
  let reply: string | null = null;
  await rawServer(t, path, (socket) => (reply === null ? socket.end() : socket.end(reply)));
  const closed = await ctl(['--run-dir', runDir, 'status']);
  assert.equal(closed.code, 3);
  assert.match(closed.err, /closed the control connection .* without answering/);
  reply = '<html>\n';
  const garbage = await ctl(['--run-dir', runDir, 'status']);
  assert.equal(garbage.code, 1);
  assert.match(garbage.err, /reply is not JSON: <html>/);
  reply = '{"ok":true,"result":{"agent":"a1"}}\n';
  const notSnapshot = await ctl(['--run-dir', runDir, 'status']);
  assert.equal(notSnapshot.code, 1);
  assert.match(notSnapshot.err, /not a snapshot/);
});

test('the sluice command: `sluice ctl` with no agent exits 3', (t) => {
  const runDir = tempRunDir(t);
  const res = spawnSync(process.execPath, [join(__dirname, 'main.js'), 'ctl', '-n', 'a1', '--run-dir', runDir, 'status'], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(res.status, 3, res.stderr);
  assert.match(res.stderr, /^sluice ctl: no agent a1 is running with run dir/);
  const help = spawnSync(process.execPath, [join(__dirname, 'main.js'), 'ctl', '--help'], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(help.status, 0);
  assert.equal(help.stdout, CTL_HELP);
});
