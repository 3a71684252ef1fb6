import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { AgentProcess, cleanup, freePort, readRolledLines, tempDir, waitFor } from '../support/agent.js';

/*
 * The crash-loop test: a sink whose worker dies at every start is marked failed
 * after the restart-intensity limit instead of spinning; the other flow of the agent keeps
 * delivering; /health names the failed component; `sluice ctl restart` brings it back once the
 * cause is fixed, and nothing its channel held is lost. Plus bad operator input: `ctl restart`
 * of a component that does not exist, and a metrics port already in use.
 */

const dir = tempDir('crash-loop');
const blocker = join(dir, 'blocker');
const out1 = join(blocker, 'out'); // under a regular file: file_roll cannot create it
const out2 = join(dir, 'out2');
const log2 = join(dir, 'app2.log');
const agents: AgentProcess[] = [];
after(async () => {
  for (const a of agents) await a.stop(10_000).catch(() => undefined);
  cleanup(dir);
});

const EVENTS = 500;

function config(): string {
  return `a1.sources = r1 r2
a1.channels = c1 c2
a1.sinks = k1 k2
a1.sources.r1.type = seq
a1.sources.r1.totalEvents = ${EVENTS}
a1.sources.r1.channels = c1
a1.sources.r2.type = exec
a1.sources.r2.command = tail -n +1 -F ${log2}
a1.sources.r2.batchTimeout = 100
a1.sources.r2.channels = c2
a1.channels.c1.type = memory
a1.channels.c2.type = memory
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = ${out1}
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k2.type = file_roll
a1.sinks.k2.channel = c2
a1.sinks.k2.sink.directory = ${out2}
a1.sinks.k2.sink.rollInterval = 0
`;
}

async function health(port: number): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}/health`);
  return { status: res.status, body: await res.text() };
}

test('a sink that dies at every start is marked failed; the rest delivers; ctl restart brings it back', async () => {
  writeFileSync(blocker, 'a regular file where a directory is expected\n');
  writeFileSync(log2, '');
  const port = await freePort();
  const agent = new AgentProcess(dir, 'a1', config(), [
    '--status-interval',
    '100',
    '--restart-limit',
    '3',
    '--restart-backoff-min',
    '20',
    '--restart-backoff-max',
    '100',
    '--metrics-port',
    String(port),
  ]);
  agents.push(agent);

  const failed = await waitFor('sink:k1 failed', () => {
    const k1 = agent.status()?.components.find((c) => c.id === 'sink:k1');
    return k1?.state === 'failed' ? k1 : undefined;
  });
  assert.equal(failed.restarts, 3, 'restarted exactly up to the limit');
  assert.match(failed.failure ?? '', /restart limit/);
  assert.equal(agent.status()!.state, 'running', 'the agent itself runs');
  const fatal = agent.logLines().filter((l) => l['msg'] === 'Worker failed.' && l['component'] === 'k1');
  assert.equal(fatal.length, 4, 'one start plus three restarts, each logged with its reason');
  assert.match(String((fatal[0]!['err'] as { message: string }).message), /cannot create sink\.directory/);
  assert.equal(agent.logLines().filter((l) => /over its restart limit/.test(String(l['msg']))).length, 1);

  // The other flow keeps delivering while k1 is down.
  appendFileSync(log2, Array.from({ length: 1000 }, (_, i) => `after-failure ${i}`).join('\n') + '\n');
  await waitFor('the other flow delivers', () => (readRolledLines(out2).length === 1000 ? true : undefined));
  assert.deepEqual(readRolledLines(out2), Array.from({ length: 1000 }, (_, i) => `after-failure ${i}`));

  const sick = await health(port);
  assert.equal(sick.status, 503);
  assert.match(sick.body, /sink:k1/);

  const status = await agent.ctl('status', '--json');
  assert.equal(status.code, 0, status.stderr);
  const k1 = (JSON.parse(status.stdout) as { workers: { id: string; state: string }[] }).workers.find((w) => w.id === 'sink:k1');
  assert.equal(k1?.state, 'failed');

  // Bad input: an unknown component is refused with the list of real ones; the agent carries on.
  const unknown = await agent.ctl('restart', 'k9');
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /no component "k9".*sink:k1/);

  // Fix the cause, restart by hand: the channel's events arrive.
  rmSync(blocker);
  mkdirSync(blocker);
  const restarted = await agent.ctl('restart', 'k1');
  assert.equal(restarted.code, 0, restarted.stderr);
  await waitFor('sink:k1 running', () => (agent.status()?.components.find((c) => c.id === 'sink:k1')?.state === 'running' ? true : undefined));
  await waitFor('the held events delivered', () => (readRolledLines(out1).length === EVENTS ? true : undefined));
  assert.deepEqual(readRolledLines(out1), Array.from({ length: EVENTS }, (_, i) => String(i)));
  for (let i = 0; (await health(port)).status !== 200; i++) {
    assert.ok(i < 100, '/health answers 200 again within 10 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(await agent.stop(), 0);
  agents.splice(agents.indexOf(agent), 1);
});

test('a metrics port in use is a clear error and the agent runs without the monitor', async () => {
  const port = await freePort();
  const sub = join(dir, 'busy');
  mkdirSync(sub, { recursive: true });
  const squatter = createServer();
  await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
  try {
    const text = `a1.sources = r1\na1.channels = c1\na1.sinks = k1\na1.sources.r1.type = seq\na1.sources.r1.totalEvents = 100\na1.sources.r1.channels = c1\na1.channels.c1.type = memory\na1.sinks.k1.type = null\na1.sinks.k1.channel = c1\n`;
    const agent = new AgentProcess(sub, 'a1', text, ['--metrics-port', String(port), '--status-interval', '100']);
    agents.push(agent);
    await agent.ready();
    const errors = agent.logLines().filter((l) => (l['err'] as { code?: string } | undefined)?.code === 'SLUICE_ERR_METRICS_PORT');
    assert.equal(errors.length, 1);
    assert.match(String((errors[0]!['err'] as { message: string }).message), new RegExp(`${port}.*in use`));
    await waitFor('events delivered anyway', () => (agent.counter('SINK.k1', 'EventDrainSuccessCount') === 100 ? true : undefined));
    assert.equal(await agent.stop(), 0);
    agents.splice(agents.indexOf(agent), 1);
  } finally {
    await new Promise((resolve) => squatter.close(resolve));
  }
});
