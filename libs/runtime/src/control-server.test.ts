import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import pino from 'pino';
import { SluiceError } from '@sluice/core';
import { requireOrSkip, staleSocket } from '@sluice/core/testing';
import type { AgentSnapshot } from '@sluice/metrics';
import { memoryLogger } from '@sluice/testkit';
import { CONTROL_SOCKET, MAX_CONTROL_LINE, type ControlHandler, type ReloadResult } from './control-protocol.js';
import { ControlServer, parseRequest } from './control-server.js';

const SNAPSHOT: AgentSnapshot = {
  agent: 'a1',
  pid: 4242,
  state: 'running',
  startedAt: 1_000,
  updatedAt: 2_000,
  workers: [
    {
      id: 'channel:c1',
      kind: 'channel',
      name: 'c1',
      type: 'memory',
      pid: 4243,
      state: 'running',
      restarts: 0,
      startedAt: 1_000,
      uptimeMs: 1_000,
      rssBytes: null,
      lastExit: null,
      failure: null,
    },
  ],
  components: [],
};

/** A handler that records its calls; `restart` knows only k1, `reload` waits for `reloadGate`. */
function fakeHandler(): ControlHandler & { calls: string[]; reloadGate: Promise<void> | null } {
  const h = {
    calls: [] as string[],
    reloadGate: null as Promise<void> | null,
    status: () => {
      h.calls.push('status');
      return SNAPSHOT;
    },
    metrics: () => {
      h.calls.push('metrics');
      return { 'CHANNEL.c1': { ChannelSize: '3' } };
    },
    restart: async (component: string) => {
      h.calls.push(`restart ${component}`);
      if (component === 'boom') throw new TypeError('cannot read properties of undefined');
      if (component !== 'k1') throw new SluiceError('SLUICE_ERR_UNKNOWN_COMPONENT', `no component "${component}" in agent a1`);
      return { restarted: ['sink:k1'] };
    },
    stop: () => {
      h.calls.push('stop');
      return { stopping: true as const };
    },
    reload: async (force: boolean): Promise<ReloadResult> => {
      h.calls.push(`reload ${force}`);
      if (h.reloadGate) await h.reloadGate;
      return { changed: true, restarted: ['sink:k1'], started: [], stopped: [] };
    },
  };
  return h;
}

async function setup(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-ctl-'));
  const path = join(dir, CONTROL_SOCKET);
  const { logger, records: logs } = memoryLogger();
  const handler = fakeHandler();
  const server = new ControlServer(path, handler, logger);
  t.after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, path, logs, handler, server };
}

/** A client that reads reply lines as they come. */
class Client {
  private buf = '';
  private readonly lines: string[] = [];
  private waiter: (() => void) | null = null;
  ended = false;

  constructor(readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.buf += d;
      for (let nl = this.buf.indexOf('\n'); nl !== -1; nl = this.buf.indexOf('\n')) {
        this.lines.push(this.buf.slice(0, nl));
        this.buf = this.buf.slice(nl + 1);
      }
      this.waiter?.();
    });
    socket.on('end', () => {
      this.ended = true;
      this.waiter?.();
    });
  }

  static open(path: string): Promise<Client> {
    return new Promise((resolve, reject) => {
      const socket = connect(path);
      socket.once('error', reject);
      socket.once('connect', () => resolve(new Client(socket)));
    });
  }

  send(text: string): void {
    this.socket.write(text);
  }

  /** The next reply, parsed; rejects after 5 s or at end of stream. */
  async next(): Promise<{ ok: boolean; result?: unknown; error?: { code: string; message: string } }> {
    const deadline = Date.now() + 5000;
    while (this.lines.length === 0) {
      if (this.ended) throw new Error('connection ended without a reply');
      if (Date.now() > deadline) throw new Error('no reply within 5 s');
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        setTimeout(resolve, 100);
      });
    }
    return JSON.parse(this.lines.shift()!);
  }

  /** Resolves true when the server ends the connection (within 5 s). */
  async waitEnd(): Promise<boolean> {
    const deadline = Date.now() + 5000;
    while (!this.ended && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return this.ended;
  }

  close(): void {
    this.socket.destroy();
  }
}

test('status round trip, logged at debug', async (t) => {
  const { path, server, logs } = await setup(t);
  await server.listen();
  const c = await Client.open(path);
  c.send('{"op":"status"}\n');
  assert.deepEqual(await c.next(), { ok: true, result: SNAPSHOT });
  c.close();
  const req = logs.find((l) => l.msg === 'Control request.');
  assert.equal(req?.['op'], 'status');
  assert.equal(req?.level, 20);
});

test('the socket has mode 0600 whatever the umask', async (t) => {
  const { path, server } = await setup(t);
  const old = process.umask(0);
  try {
    await server.listen();
  } finally {
    process.umask(old);
  }
  assert.ok(lstatSync(path).isSocket());
  assert.equal(lstatSync(path).mode & 0o777, 0o600);
});

test('pipelined requests are answered in order, one at a time', async (t) => {
  const { path, server, handler } = await setup(t);
  await server.listen();
  let open!: () => void;
  handler.reloadGate = new Promise((resolve) => (open = resolve));
  const c = await Client.open(path);
  c.send('{"op":"reload","force":true}\n{"op":"status"}\n{"op":"restart","component":"k1"}\r\n{"op":"metrics"}');
  c.send('\n{"op":"stop"}\n');
  // The reload is still running: nothing after it has been started.
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(handler.calls, ['reload true']);
  open();
  assert.deepEqual(await c.next(), { ok: true, result: { changed: true, restarted: ['sink:k1'], started: [], stopped: [] } });
  assert.equal(((await c.next()).result as AgentSnapshot).agent, 'a1');
  assert.deepEqual(await c.next(), { ok: true, result: { restarted: ['sink:k1'] } });
  assert.deepEqual(await c.next(), { ok: true, result: { 'CHANNEL.c1': { ChannelSize: '3' } } });
  assert.deepEqual(await c.next(), { ok: true, result: { stopping: true } });
  assert.deepEqual(handler.calls, ['reload true', 'status', 'restart k1', 'metrics', 'stop']);
  c.close();
});

test('many connections at once', async (t) => {
  const { path, server } = await setup(t);
  await server.listen();
  const clients = await Promise.all(Array.from({ length: 10 }, () => Client.open(path)));
  for (const c of clients) c.send('{"op":"restart","component":"k1"}\n');
  for (const c of clients) assert.deepEqual(await c.next(), { ok: true, result: { restarted: ['sink:k1'] } });
  for (const c of clients) c.close();
});

test('a malformed line is answered with an error and the connection goes on', async (t) => {
  const { path, server, logs } = await setup(t);
  await server.listen();
  const c = await Client.open(path);
  for (const bad of ['{"op":', '[1,2]', '"status"', 'null', '', '{"op":"restart"}', '{"op":"restart","component":7}', '{"op":"reload","force":"yes"}']) {
    c.send(bad + '\n');
    const reply = await c.next();
    assert.equal(reply.ok, false, bad);
    assert.equal(reply.error?.code, 'SLUICE_ERR_CONTROL', bad);
  }
  c.send('{"op":"status"}\n');
  assert.equal((await c.next()).ok, true);
  c.close();
  assert.ok(logs.some((l) => l.msg === 'Malformed control request refused.' && l.level === 40));
});

test('a client sending garbage in a loop gets one warn line, the rest at debug, and the server still answers', async (t) => {
  const { path, server, logs } = await setup(t);
  await server.listen();
  for (let conn = 0; conn < 10; conn++) {
    const c = await Client.open(path);
    c.send('not json\n'.repeat(100));
    for (let i = 0; i < 100; i++) assert.equal((await c.next()).error?.code, 'SLUICE_ERR_CONTROL');
    c.close();
  }
  const refused = logs.filter((l) => l.msg === 'Malformed control request refused.');
  assert.deepEqual(refused.filter((l) => l.level === 40).map((l) => l['suppressed']), [0], 'one warn, for the first');
  assert.equal(refused.filter((l) => l.level === 20).length, 999);
  const c = await Client.open(path);
  c.send('{"op":"status"}\n');
  assert.deepEqual(await c.next(), { ok: true, result: SNAPSHOT });
  c.close();
});

test('an unknown op names the valid ones', async (t) => {
  const { path, server } = await setup(t);
  await server.listen();
  const c = await Client.open(path);
  c.send('{"op":"explode"}\n{"nop":1}\n');
  const a = await c.next();
  assert.equal(a.error?.code, 'SLUICE_ERR_CONTROL');
  assert.match(a.error!.message, /unknown op \("explode"\).*status, metrics, restart, stop, reload/);
  assert.match((await c.next()).error!.message, /unknown op \(missing\)/);
  c.close();
});

test('a line over MAX_CONTROL_LINE gets an error and the connection is closed', async (t) => {
  const { path, server, handler } = await setup(t);
  await server.listen();
  const c = await Client.open(path);
  c.send('{"op":"status"}\n');
  c.send('{"op":"status","pad":"' + 'x'.repeat(MAX_CONTROL_LINE) + '"}\n{"op":"stop"}\n');
  assert.equal((await c.next()).ok, true);
  const reply = await c.next();
  assert.equal(reply.error?.code, 'SLUICE_ERR_CONTROL');
  assert.match(reply.error!.message, /longer than 65536 bytes/);
  assert.equal(await c.waitEnd(), true);
  assert.deepEqual(handler.calls, ['status'], 'nothing after the oversized line was run');
  c.close();
  // The server itself goes on.
  const d = await Client.open(path);
  d.send('{"op":"status"}\n');
  assert.equal((await d.next()).ok, true);
  d.close();
});

test('a line exactly MAX_CONTROL_LINE bytes long is accepted', async (t) => {
  const { path, server } = await setup(t);
  await server.listen();
  const head = '{"op":"status","pad":"';
  const line = head + 'x'.repeat(MAX_CONTROL_LINE - head.length - 2) + '"}';
  assert.equal(Buffer.byteLength(line), MAX_CONTROL_LINE);
  const c = await Client.open(path);
  c.send(line + '\n');
  assert.equal((await c.next()).ok, true);
  c.close();
});

test('a SluiceError from the handler keeps its code and message', async (t) => {
  const { path, server, logs } = await setup(t);
  await server.listen();
  const c = await Client.open(path);
  c.send('{"op":"restart","component":"nope"}\n');
  assert.deepEqual(await c.next(), {
    ok: false,
    error: { code: 'SLUICE_ERR_UNKNOWN_COMPONENT', message: 'no component "nope" in agent a1' },
  });
  const req = logs.find((l) => l.msg === 'Control request.');
  assert.equal(req?.level, 30);
  assert.equal(req?.['op'], 'restart');
  assert.equal(req?.['component'], 'nope');
  c.close();
});

test('any other handler error is logged and answered as an internal error', async (t) => {
  const { path, server, logs } = await setup(t);
  await server.listen();
  const c = await Client.open(path);
  c.send('{"op":"restart","component":"boom"}\n{"op":"status"}\n');
  assert.deepEqual(await c.next(), {
    ok: false,
    error: { code: 'SLUICE_ERR_CONTROL', message: 'internal error: cannot read properties of undefined' },
  });
  assert.equal((await c.next()).ok, true);
  const logged = logs.find((l) => l.level === 50);
  assert.equal((logged?.['err'] as { message?: string } | undefined)?.message, 'cannot read properties of undefined');
  c.close();
});

test('a request sent just before the client half-closes is still answered', async (t) => {
  const { path, server } = await setup(t);
  await server.listen();
  const c = await Client.open(path);
  c.socket.end('{"op":"metrics"}');
  assert.deepEqual(await c.next(), { ok: true, result: { 'CHANNEL.c1': { ChannelSize: '3' } } });
  assert.equal(await c.waitEnd(), true);
});

test('a stale socket file left by a killed agent is replaced', async (t) => {
  const { path, server, logs } = await setup(t);
  await staleSocket(path);
  await server.listen();
  const c = await Client.open(path);
  c.send('{"op":"status"}\n');
  assert.equal((await c.next()).ok, true);
  c.close();
  assert.ok(logs.some((l) => l.level === 40 && /stale control socket/.test(l.msg)));
});

test('a regular file at the socket path is not clobbered', async (t) => {
  const { path, server } = await setup(t);
  writeFileSync(path, 'precious');
  await assert.rejects(server.listen(), (err: SluiceError) => err.code === 'SLUICE_ERR_CONTROL' && /is not a socket/.test(err.message));
});

test('a socket path over 107 bytes is refused', async (t) => {
  const { dir } = await setup(t);
  const server = new ControlServer(join(dir, 'x'.repeat(120)), fakeHandler(), pino({ level: 'silent' }));
  await assert.rejects(server.listen(), (err: SluiceError) => err.code === 'SLUICE_ERR_PATH_TOO_LONG');
});

test('close() ends open connections and removes the socket file', async (t) => {
  const { path, server } = await setup(t);
  await server.listen();
  const c = await Client.open(path);
  c.send('{"op":"status"}\n');
  await c.next();
  await server.close();
  assert.equal(await c.waitEnd(), true);
  assert.throws(() => lstatSync(path), /ENOENT/);
  await server.close();
  c.close();
});

test("another user's connect fails with EACCES", async (t) => {
  if (!requireOrSkip(t, process.getuid?.() === 0, 'connecting as another user needs root')) return;
  const { dir, path, server, handler } = await setup(t);
  // The run dir is normally 0700; open it up so that only the socket's own mode stands in the way.
  chmodSync(dir, 0o711);
  await server.listen();
  const script = `require('net').connect(${JSON.stringify(path)})
    .on('connect', () => { console.log('connected'); process.exit(0); })
    .on('error', (e) => { console.log(e.code); process.exit(0); })`;
  const res = spawnSync(process.execPath, ['-e', script], { uid: 65534, gid: 65534, encoding: 'utf8', timeout: 10_000 });
  assert.equal(res.stdout.trim(), 'EACCES', res.stderr);
  assert.deepEqual(handler.calls, []);
  // The agent's own user still gets in.
  const c = await Client.open(path);
  c.send('{"op":"status"}\n');
  assert.equal((await c.next()).ok, true);
  c.close();
});

test('parseRequest keeps only known fields', () => {
  assert.deepEqual(parseRequest('{"op":"restart","component":"k1","x":1}'), { op: 'restart', component: 'k1' });
  assert.deepEqual(parseRequest('{"op":"reload"}'), { op: 'reload' });
  assert.deepEqual(parseRequest('{"op":"reload","force":false}'), { op: 'reload', force: false });
  assert.deepEqual(parseRequest('{"op":"status","component":"ignored"}'), { op: 'status' });
  assert.equal(typeof parseRequest('{"op":"restart","component":"  "}'), 'string');
});
