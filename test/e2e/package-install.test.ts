import assert from 'node:assert/strict';
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { requireOrSkip } from '@sluice/core/testing';
import { AgentProcess, cleanup, readRolledLines, tally, tempDir, waitFor, type SluiceCommand, type Status } from '../support/agent.js';

/*
 * The operator's install: `npm run package`'s tarball, installed with `npm install -g` into an
 * empty prefix with no registry reachable, gives a `sluice` that runs outside the checkout:
 * --version, check, an agent moving every event seq → memory → file_roll, ctl, a graceful stop.
 * The systemd unit, pointed at that installed command, passes `systemd-analyze verify`, and its
 * command lines (check, agent, reload) do what they should when run by hand.
 */

const ROOT = resolve(__dirname, '..', '..', '..');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'apps', 'sluice', 'package.json'), 'utf8')) as { version: string }).version;
const TARBALL = join(ROOT, 'dist', `sluice-${VERSION}.tgz`);
const UNIT = join(ROOT, 'deploy', 'systemd', 'sluice@.service');
const TOTAL = 20_000;

const dir = tempDir('package');
const prefix = join(dir, 'prefix');
const bin = join(prefix, 'bin', 'sluice');
const installed: SluiceCommand = [bin];
after(() => cleanup(dir));

/**
 * The environment of every command run here: npm's own settings from an enclosing `npm test` are
 * dropped (this test names the prefix, cache and registry itself), and this node comes first on
 * the PATH, where the installed command's `#!/usr/bin/env node` finds it.
 */
function env(): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_config_/i.test(k) && k !== 'NODE_PATH'));
  return { ...clean, PATH: [dirname(process.execPath), process.env['PATH'] ?? ''].join(delimiter) };
}

function run(program: string, args: readonly string[], timeoutMs: number, cwd = dir): SpawnSyncReturns<string> {
  const res = spawnSync(program, args, { cwd, env: env(), encoding: 'utf8', timeout: timeoutMs });
  if (res.error) throw res.error;
  return res;
}

function assertInstalled(): void {
  assert.ok(existsSync(bin), `${bin} does not exist: the install test failed`);
}

test('npm run package makes one tarball; npm install -g installs it with no registry', () => {
  // The same script as `npm run package` (the build is already done: this test is part of it).
  const pack = run(process.execPath, [join(ROOT, 'scripts', 'package.mjs')], 180_000, ROOT);
  assert.equal(pack.status, 0, pack.stderr);
  assert.ok(existsSync(TARBALL), `no ${TARBALL}`);

  // An empty cache and a registry address nobody listens on: everything must come from the tarball.
  const install = run(
    'npm',
    ['install', '-g', '--prefix', prefix, '--offline', '--cache', join(dir, 'npm-cache'), '--registry', 'http://127.0.0.1:9/', '--no-audit', '--no-fund', TARBALL],
    180_000,
  );
  assert.equal(install.status, 0, `npm install failed:\n${install.stdout}\n${install.stderr}`);
  assertInstalled();
  // A copy inside the prefix, not a link back into the checkout.
  const pkgDir = realpathSync(join(prefix, 'lib', 'node_modules', 'sluice'));
  assert.ok(pkgDir.startsWith(realpathSync(prefix)), `the installed package is ${pkgDir}`);
  assert.ok(existsSync(join(pkgDir, 'deploy', 'README.md')), 'the deployment guide ships in the package');
});

test('the installed sluice prints its version and checks a config', () => {
  assertInstalled();
  const version = run(bin, ['--version'], 20_000);
  assert.equal(version.status, 0, version.stderr);
  assert.equal(version.stdout, `sluice ${VERSION}\n`);

  const file = join(dir, 'check.properties');
  writeFileSync(file, config(join(dir, 'check-out')));
  const check = run(bin, ['check', '-n', 'a1', '-f', file], 20_000);
  assert.equal(check.status, 0, check.stderr);
  assert.match(check.stdout, /r1: seq/);
  assert.match(check.stdout, /c1: memory/);
  assert.match(check.stdout, /file_roll/);
});

test('the installed sluice runs an agent: every event reaches file_roll, ctl answers, SIGTERM stops it', async () => {
  assertInstalled();
  const out = join(dir, 'out');
  const agent = new AgentProcess(dir, 'a1', config(out), ['--status-interval', '100'], {}, installed);
  try {
    await agent.ready(60_000);
    await waitFor(
      `${TOTAL} lines in ${out}`,
      () => {
        if (agent.child.exitCode !== null) throw new Error(`agent exited with ${agent.child.exitCode}:\n${agent.output}`);
        return existsSync(out) && readRolledLines(out).length >= TOTAL ? true : undefined;
      },
      120_000,
    );
    await waitFor('the sink counted every event', () => (agent.counter('SINK.k1', 'EventDrainSuccessCount') === TOTAL ? true : undefined), 30_000);

    const status = await agent.ctl('status');
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /k1/);
    assert.match(status.stdout, /running/);
  } finally {
    assert.equal(await agent.stop(60_000), 0, agent.output);
  }
  const counts = tally(readRolledLines(out));
  assert.equal(counts.size, TOTAL, 'every sequence number arrived');
  for (let i = 0; i < TOTAL; i++) assert.equal(counts.get(String(i)), 1, `event ${i} arrived once`);
  assert.ok(agent.logLines().some((l) => l['msg'] === 'Agent stopped.'), 'the agent logged a graceful stop');
});

test('the systemd unit runs the installed command and passes systemd-analyze verify', (t) => {
  const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  if (!requireOrSkip(t, analyze.status === 0, 'systemd-analyze is not installed')) return;
  assertInstalled();
  const unit = readFileSync(UNIT, 'utf8');
  // The path the deployment guide's install command creates.
  assert.match(unit, /^ExecStart=\/usr\/local\/bin\/sluice agent -n %i -f \/etc\/sluice\/%i\.properties --run-dir \/run\/sluice\/%i --data-dir \/var\/lib\/sluice\/%i /m);
  assert.match(readFileSync(join(ROOT, 'deploy', 'README.md'), 'utf8'), /npm install -g --prefix \/usr\/local /);

  // verify needs every Exec binary to exist: the same unit with the command this test installed.
  for (const name of ['sluice@.service', 'sluice@a1.service']) {
    const copy = join(dir, name);
    writeFileSync(copy, unit.replaceAll('/usr/local/bin/sluice', bin));
    const res = run('systemd-analyze', ['verify', copy], 60_000);
    // verify exits 0 even when it ignores a line it cannot parse: nothing may be said about the unit.
    const complaints = `${res.stdout}\n${res.stderr}`.split('\n').filter((l) => l.includes('sluice@') || l.includes(copy));
    assert.equal(res.status, 0, res.stderr);
    assert.deepEqual(complaints, [], `systemd-analyze verify ${name}`);
  }
});

test("the unit's ExecStartPre, ExecStart and ExecReload lines work with the installed command", async () => {
  assertInstalled();
  // The unit's paths moved into this test's directory; %i is a1; SLUICE_OPTS is unset.
  const root = join(dir, 'unit');
  const paths: [string, string][] = [
    ['/usr/local/bin/sluice', bin],
    ['/etc/sluice/', join(root, 'etc') + '/'],
    ['/run/sluice/', join(root, 'run') + '/'],
    ['/var/lib/sluice/', join(root, 'lib') + '/'],
  ];
  const line = (key: string): string[] => {
    const m = new RegExp(`^${key}=(.*)$`, 'm').exec(readFileSync(UNIT, 'utf8'));
    assert.ok(m, `the unit has ${key}=`);
    let text = m[1]!.replaceAll('%i', 'a1').replaceAll('$SLUICE_OPTS', '');
    for (const [from, to] of paths) text = text.replaceAll(from, to);
    return text.split(/\s+/).filter((a) => a !== '');
  };
  for (const d of ['etc', 'run/a1', 'lib/a1']) mkdirSync(join(root, d), { recursive: true, mode: 0o700 });
  writeFileSync(join(root, 'etc', 'a1.properties'), config(join(root, 'out'), 'file'));

  const [pre, ...preArgs] = line('ExecStartPre');
  const check = run(pre!, preArgs, 20_000);
  assert.equal(check.status, 0, check.stderr);

  const [program, ...args] = line('ExecStart');
  const agent = spawn(program!, args, { cwd: dir, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  agent.stdout.on('data', (d: Buffer) => (output += d.toString()));
  agent.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => agent.once('exit', resolve));
  try {
    await waitFor(
      'status.json in the run dir says running',
      () => {
        if (agent.exitCode !== null) throw new Error(`agent exited with ${agent.exitCode}:\n${output}`);
        try {
          const s = JSON.parse(readFileSync(join(root, 'run', 'a1', 'status.json'), 'utf8')) as Status;
          return s.pid === agent.pid && s.state === 'running' ? true : undefined;
        } catch {
          return undefined;
        }
      },
      60_000,
    );
    // The file channel keeps its checkpoint in the data dir the unit names.
    assert.ok(existsSync(join(root, 'lib', 'a1', 'c1', 'checkpoint')), 'the file channel is in the data dir the unit names');
    const [reload, ...reloadArgs] = line('ExecReload');
    const res = run(reload!, reloadArgs, 120_000);
    assert.equal(res.status, 0, `${res.stdout}\n${res.stderr}`);
  } finally {
    agent.kill('SIGTERM');
  }
  assert.equal(await exited, 0, output);
});

function config(out: string, channel: 'memory' | 'file' = 'memory'): string {
  return `a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = seq
a1.sources.r1.totalEvents = ${TOTAL}
a1.sources.r1.batchSize = 100
a1.sources.r1.channels = c1
a1.channels.c1.type = ${channel}
${channel === 'file' ? 'a1.channels.c1.minimumRequiredSpace = 1048576\n' : ''}a1.channels.c1.capacity = 10000
a1.channels.c1.transactionCapacity = 100
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = ${out}
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.sink.batchSize = 100
`;
}
