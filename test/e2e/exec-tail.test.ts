import assert from 'node:assert/strict';
import { execSync } from 'node:child_process';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { AgentProcess, alive, cleanup, readRolledLines, tally, tempDir, waitFor } from '../support/agent.js';

const dir = tempDir('exec');
after(() => cleanup(dir));

function config(log: string, out: string): string {
  return `a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = exec
a1.sources.r1.command = tail -n +1 -F ${log}
a1.sources.r1.batchSize = 500
a1.sources.r1.batchTimeout = 200
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 20000
a1.channels.c1.transactionCapacity = 1000
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = ${out}
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.sink.batchSize = 1000
`;
}

const line = (i: number) => `line ${String(i).padStart(7, '0')} ${'x'.repeat(40)}`;

async function appendLines(log: string, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i += 5000) {
    const chunk = [];
    for (let j = i; j < Math.min(to, i + 5000); j++) chunk.push(line(j));
    appendFileSync(log, chunk.join('\n') + '\n');
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('100,000 lines appended to a tailed file arrive exactly once and in order', async () => {
  const sub = join(dir, 'once');
  const log = join(sub, 'app.log');
  const out = join(sub, 'out');
  mkdirSync(sub, { recursive: true });
  writeFileSync(log, '');
  const agent = new AgentProcess(sub, 'a1', config(log, out));
  try {
    await agent.ready();
    await appendLines(log, 0, 100_000);
    await waitFor('all lines delivered', () => (readRolledLines(out).length >= 100_000 ? true : undefined), 60_000);
    const lines = readRolledLines(out);
    assert.equal(lines.length, 100_000);
    for (let i = 0; i < lines.length; i++) if (lines[i] !== line(i)) assert.fail(`line ${i} is ${lines[i]}`);
    // Each worker reports its counters once a second: wait for every report to catch up.
    await waitFor(
      'counters reported',
      () =>
        agent.counter('SINK.k1', 'EventDrainSuccessCount') === 100_000 &&
        agent.counter('CHANNEL.c1', 'EventTakeSuccessCount') === 100_000 &&
        agent.counter('SOURCE.r1', 'EventAcceptedCount') >= 100_000
          ? true
          : undefined,
      5000,
    );
    assert.equal(agent.counter('CHANNEL.c1', 'EventPutSuccessCount'), 100_000);
    assert.equal(agent.counter('SOURCE.r1', 'EventAcceptedCount'), 100_000);
  } finally {
    assert.equal(await agent.stop(), 0);
  }
});

test('SIGKILL of the sink worker mid-stream: every line arrives, duplicates only of batches in flight', async () => {
  const sub = join(dir, 'sinkkill');
  const log = join(sub, 'app.log');
  const out = join(sub, 'out');
  mkdirSync(sub, { recursive: true });
  writeFileSync(log, '');
  const agent = new AgentProcess(sub, 'a1', config(log, out));
  try {
    await agent.ready();
    await appendLines(log, 0, 30_000);
    await waitFor('some lines delivered', () => (readRolledLines(out).length > 1000 ? true : undefined));
    await agent.killWorker('sink:k1');
    await appendLines(log, 30_000, 60_000);
    await waitFor('every line delivered', () => (new Set(readRolledLines(out)).size >= 60_000 ? true : undefined), 60_000);
    const counts = tally(readRolledLines(out));
    for (let i = 0; i < 60_000; i++) assert.ok(counts.has(line(i)), `line ${i} lost`);
    const duplicates = [...counts.values()].reduce((n, c) => n + c - 1, 0);
    console.log(`# sink worker killed once: 60000 lines, 0 lost, ${duplicates} duplicated`);
    assert.ok(duplicates <= 2 * 1000, `duplicates (${duplicates}) exceed the batches in flight`);
    assert.equal(agent.component('sink:k1').restarts, 1);
  } finally {
    assert.equal(await agent.stop(), 0);
  }
});

test('the exec command dies with its worker: no orphaned tail', async () => {
  const sub = join(dir, 'orphan');
  const log = join(sub, 'app.log');
  mkdirSync(sub, { recursive: true });
  writeFileSync(log, '');
  const agent = new AgentProcess(sub, 'a1', config(log, join(sub, 'out')));
  try {
    await agent.ready();
    const tails = () =>
      execSync(`pgrep -f -- "tail -n \\+1 -F ${log}" || true`, { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean)
        .map(Number);
    const before = await waitFor('tail running', () => (tails().length === 1 ? tails() : undefined));
    await agent.killWorker('source:r1');
    await waitFor('old tail gone', () => (!alive(before[0]!) ? true : undefined), 5000);
    await waitFor('one new tail', () => (tails().length === 1 && tails()[0] !== before[0] ? true : undefined));
  } finally {
    assert.equal(await agent.stop(), 0);
  }
  assert.deepEqual(
    execSync(`pgrep -f -- "tail -n \\+1 -F ${log}" || true`, { encoding: 'utf8' }).trim(),
    '',
    'no tail left after the agent stopped',
  );
});
