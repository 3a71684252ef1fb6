import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { AgentProcess, cleanup, SLUICE, tally, tempDir, waitFor } from '../support/agent.js';

const dir = tempDir('plugin');
after(() => cleanup(dir));

const PLUGIN = join(__dirname, 'scratch-plugin', 'index.js');
const EVENTS = 25_000;

function config(out: string): string {
  return `a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = countdown
a1.sources.r1.from = ${EVENTS}
a1.sources.r1.batchSize = 500
a1.sources.r1.channels = c1
a1.channels.c1.type = file
a1.channels.c1.transactionCapacity = 1000
a1.sinks.k1.type = tally
a1.sinks.k1.path = ${out}
a1.sinks.k1.batchSize = 1000
a1.sinks.k1.channel = c1
`;
}

function check(args: string[], text: string) {
  const file = join(dir, 'check.properties');
  writeFileSync(file, text);
  return spawnSync(process.execPath, [SLUICE, 'check', '-n', 'a1', '-f', file, ...args], { encoding: 'utf8' });
}

test('a component outside Sluice, loaded with --plugin, runs end to end: every event once', async () => {
  const out = join(dir, 'tally.txt');
  writeFileSync(out, '');
  const agent = new AgentProcess(dir, 'a1', config(out), ['--plugin', PLUGIN]);
  try {
    await agent.ready();
    await waitFor('every event delivered', () => (agent.counter('SINK.k1', 'EventDrainSuccessCount') >= EVENTS ? true : undefined), 60_000);
    const counts = tally(readFileSync(out, 'utf8').split('\n').filter((l) => l !== ''));
    assert.equal(counts.size, EVENTS, 'distinct events');
    for (let n = 1; n <= EVENTS; n++) assert.equal(counts.get(String(n)), 1, `event ${n}`);
  } finally {
    await agent.stop();
  }
});

test('check knows the plugin types and their declarations; without the plugin they are unknown', () => {
  const text = config(join(dir, 'x.txt'));
  const ok = check(['--plugin', PLUGIN], text);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /countdown/);
  const tooBig = check(['--plugin', PLUGIN], text.replace('r1.batchSize = 500', 'r1.batchSize = 5000'));
  assert.equal(tooBig.status, 1);
  assert.match(tooBig.stderr, /a1\.sources\.r1\.batchSize: 5000 is greater than the transactionCapacity 1000 of channel c1/);
  const without = check([], text);
  assert.equal(without.status, 1);
  assert.match(without.stderr, /unknown source type "countdown"/);
});

test('a plugin that is missing or exports no factories is a clear error', () => {
  const text = config(join(dir, 'x.txt'));
  const missing = check(['--plugin', join(dir, 'nope.js')], text);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /--plugin \S+nope\.js: no such file/);
  const empty = join(dir, 'empty.js');
  writeFileSync(empty, 'exports.something = 1;\n');
  const bad = check(['--plugin', empty], text);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /plugin \S+empty\.js: it must export `factories`/);
});
