import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const SLUICE = join(__dirname, 'main.js');

/**
 * The keys of a JSON object's top level, in order, duplicates kept (JSON.parse keeps only the
 * last of each). Assumes one well-formed object, as pino writes it.
 */
export function topLevelKeys(json: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '"') {
      let j = i + 1;
      while (json[j] !== '"') j += json[j] === '\\' ? 2 : 1;
      if (depth === 1 && /^\s*:/.test(json.slice(j + 1, j + 3))) keys.push(JSON.parse(json.slice(i, j + 1)) as string);
      i = j;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
  }
  return keys;
}

test('topLevelKeys finds repeated keys and ignores nested ones and keys inside strings', () => {
  assert.deepEqual(topLevelKeys('{"a":1,"b":{"a":2},"c":"x\\":\\"y","a":[{"d":1}]}'), ['a', 'b', 'c', 'a']);
});

async function waitFor<T>(what: string, check: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Status {
  pid: number;
  state: string;
  components: { id: string; pid: number | null; state: string }[];
}

test("an agent logs JSON lines only, each key once per line, its config warnings among them", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-log-lines-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const conf = join(dir, 'a1.properties');
  // An exec command that writes to stderr and fails, an interceptor, a sink group of two, a
  // config warning, a worker killed and restarted: the supervisor and each kind of worker log.
  writeFileSync(
    conf,
    [
      'a1.sources = r1',
      'a1.channels = c1',
      'a1.sinks = k1 k2',
      'a1.sinkgroups = g1',
      'a1.sinkgroups.g1.sinks = k1 k2',
      'a1.sinkgroups.g1.processor.type = failover',
      'a1.sources.r1.type = exec',
      'a1.sources.r1.shell = /bin/sh -c',
      'a1.sources.r1.command = echo one; echo oops >&2; exit 3',
      'a1.sources.r1.logStdErr = true',
      'a1.sources.r1.channels = c1',
      'a1.sources.r1.interceptors = ts',
      'a1.sources.r1.interceptors.ts.type = timestamp',
      'a1.channels.c1.type = memory',
      'a1.channels.c1.capacityy = 10',
      'a1.sinks.k1.type = null',
      'a1.sinks.k1.channel = c1',
      'a1.sinks.k2.type = logger',
      'a1.sinks.k2.channel = c1',
      '',
    ].join('\n'),
  );
  const runDir = join(dir, 'run');
  const args = [SLUICE, 'agent', '-n', 'a1', '-f', conf, '--run-dir', runDir, '--data-dir', join(dir, 'data'), '--log-format', 'json', '--log-level', 'debug', '-Dflume.root.logger=WARN,console', '-Dflume.log.dir=/var/log/flume', '-Dorg.apache.flume.log.rawdata=true'];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.after(() => child.kill('SIGKILL'));
  const status = (): Status | undefined => {
    try {
      const s = JSON.parse(readFileSync(join(runDir, 'status.json'), 'utf8')) as Status;
      return s.pid === child.pid && s.state === 'running' && s.components.every((c) => c.state === 'running') ? s : undefined;
    } catch {
      return undefined;
    }
  };

  const ready = await waitFor('every worker running', status);
  await waitFor('the exec command to exit', () => (output.includes('"msg":"command exited"') ? true : undefined));
  const sinkPid = ready.components.find((c) => c.id === 'sink:g1')!.pid!;
  process.kill(sinkPid, 'SIGKILL');
  await waitFor('the sink group restarted', () => status()?.components.find((c) => c.id === 'sink:g1' && c.pid !== sinkPid));
  child.kill('SIGTERM');
  assert.equal(await exited, 0, output + stderr);
  assert.equal(stderr, '', 'nothing but JSON lines on stdout');

  const lines = output.split('\n').filter((l) => l.startsWith('{'));
  const messages = new Set(lines.map((l) => (JSON.parse(l) as { msg: string }).msg));
  for (const msg of ['Worker running.', 'Worker died; restarting it.', 'command started', 'command exited', 'agent ready', 'Agent stopped.']) {
    assert.ok(messages.has(msg), `logged: ${msg}`);
  }
  assert.ok(lines.length > 15, `${lines.length} lines`);
  assert.ok(lines.some((l) => l.includes('"level":20')), '--log-level debug wins over -Dflume.root.logger=WARN');
  const ignored = lines.filter((l) => l.includes('-D properties are ignored'));
  assert.equal(ignored.length, 1, 'the ignored -D properties are listed once');
  assert.deepEqual((JSON.parse(ignored[0]!) as { properties: string[] }).properties, ['flume.log.dir', 'org.apache.flume.log.rawdata']);
  const warning = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l['msg'] === 'Config warning.');
  assert.equal(warning?.['level'], 40, 'the config warning is logged at warn');
  assert.equal(warning?.['file'], conf);
  assert.equal(warning?.['line'], 15);
  assert.match(String(warning?.['problem']), /capacityy: unknown key .*did you mean "capacity"/);
  for (const line of lines) {
    const keys = topLevelKeys(line);
    assert.deepEqual(keys, [...new Set(keys)], line);
  }
});

test('"agent ready" waits for a source retrying a busy port, and the sink of a collector not yet up does not hold it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-busy-port-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.after(() => blocker.close());
  const port = (blocker.address() as AddressInfo).port;
  const conf = join(dir, 'a1.properties');
  // k1 points at a collector nobody runs: a sink retrying its peer is not a component failing to start.
  writeFileSync(
    conf,
    [
      'a1.sources = r1',
      'a1.channels = c1',
      'a1.sinks = k1',
      'a1.sources.r1.type = netcat',
      'a1.sources.r1.bind = 127.0.0.1',
      `a1.sources.r1.port = ${port}`,
      'a1.sources.r1.channels = c1',
      'a1.channels.c1.type = memory',
      'a1.sinks.k1.type = avro',
      'a1.sinks.k1.hostname = 127.0.0.1',
      'a1.sinks.k1.port = 1',
      'a1.sinks.k1.channel = c1',
      '',
    ].join('\n'),
  );
  const runDir = join(dir, 'run');
  const args = [SLUICE, 'agent', '-n', 'a1', '-f', conf, '--run-dir', runDir, '--data-dir', join(dir, 'data'), '--log-format', 'json', '--status-interval', '100'];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.after(() => child.kill('SIGKILL'));
  const lines = () => output.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  const states = () => {
    try {
      const s = JSON.parse(readFileSync(join(runDir, 'status.json'), 'utf8')) as Status;
      return s.pid === child.pid && s.state === 'running' ? Object.fromEntries(s.components.map((c) => [c.id, c.state])) : undefined;
    } catch {
      return undefined;
    }
  };

  const notReady = await waitFor('the not-ready line', () => lines().find((l) => String(l['msg']).startsWith('Agent started, not ready yet')));
  assert.deepEqual((notReady['notReady'] as { worker: string }[]).map((w) => w.worker), ['source:r1']);
  assert.match(String((notReady['notReady'] as { reason: string }[])[0]!.reason), /EADDRINUSE/);
  await waitFor('source:r1 retrying in status.json', () => (states()?.['source:r1'] === 'retrying' ? true : undefined));
  assert.equal(states()?.['sink:k1'], 'running', 'the sink retrying its collector runs');
  assert.ok(!lines().some((l) => l['msg'] === 'agent ready'));

  await new Promise((resolve) => blocker.close(resolve));
  await waitFor('agent ready', () => lines().find((l) => l['msg'] === 'agent ready'));
  assert.deepEqual(states(), { 'channel:c1': 'running', 'sink:k1': 'running', 'source:r1': 'running' });
  const bindErrors = lines().filter((l) => l['msg'] === 'Cannot listen; retrying until the address is free.');
  assert.equal(bindErrors.length, 1, 'the busy port is logged once');
  assert.equal(bindErrors[0]!['stack'], undefined);
  child.kill('SIGTERM');
  assert.equal(await exited, 0, output);
  assert.equal(lines().filter((l) => l['msg'] === 'agent ready').length, 1);
});
