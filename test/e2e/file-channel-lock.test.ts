import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { AgentProcess, cleanup, readRolledLines, tempDir, waitFor } from '../support/agent.js';
import { gone, killAgentHard, logsMatching, restartAgent, segmentFiles } from '../support/file-channel.js';

/*
 * The lock test: a second agent (its own run and data dirs) configured with the
 * same file-channel directories as a running one must not open them, must say who holds them
 * and must exit non-zero; after a SIGKILL of the whole first agent, a restart takes the stale locks over.
 */

const EVENTS = 5000;
const dir = tempDir('fc-lock');
const shared = join(dir, 'shared');
const checkpointDir = join(shared, 'checkpoint');
const dataDir = join(shared, 'data');
mkdirSync(checkpointDir, { recursive: true });
mkdirSync(dataDir, { recursive: true });
const agents: AgentProcess[] = [];
after(async () => {
  for (const a of agents) await a.stop(10_000).catch(() => undefined);
  cleanup(dir);
});

function config(sink?: string): string {
  const text = `a1.sources = r1
a1.channels = c1
a1.sources.r1.type = seq
a1.sources.r1.totalEvents = ${EVENTS}
a1.sources.r1.batchSize = 100
a1.sources.r1.channels = c1
a1.channels.c1.type = file
a1.channels.c1.checkpointDir = ${checkpointDir}
a1.channels.c1.dataDirs = ${dataDir}
a1.channels.c1.minimumRequiredSpace = 1048576
`;
  if (sink === undefined) return text;
  return text.replace('a1.channels = c1\n', 'a1.channels = c1\na1.sinks = k1\n').replace('totalEvents = 5000', 'totalEvents = 0') +
    `a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = ${sink}
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.sink.batchSize = 1000
`;
}

function start(name: string, text: string): AgentProcess {
  const sub = join(dir, name);
  mkdirSync(sub, { recursive: true });
  const agent = new AgentProcess(sub, 'a1', text, ['--status-interval', '50', '--shutdown-timeout', '3']);
  agents.push(agent);
  return agent;
}

function lockPid(d: string): number {
  return (JSON.parse(readFileSync(join(d, 'in_use.lock'), 'utf8')) as { pid: number }).pid;
}

/** What the data dir holds: segment names and sizes. */
function segmentsState(): string {
  return segmentFiles(dataDir)
    .map((f) => `${f}:${statSync(f).size}`)
    .join(' ');
}

let first: AgentProcess;
let firstChannelPid: number;

test('a second agent on the same channel directories cannot open them: the error names the holder, nothing is touched', async () => {
  first = start('first', config());
  await first.ready();
  await waitFor(`${EVENTS} events in the first agent's channel`, () => (first.counter('CHANNEL.c1', 'ChannelSize') === EVENTS ? true : undefined));
  firstChannelPid = first.component('channel:c1').pid!;
  const before = segmentsState();

  const second = start('second', config());
  const failures = await waitFor('the refused open', () => {
    const f = logsMatching(second, /^Worker failed\.$/);
    return f.length >= 1 ? f : undefined;
  });
  for (const f of failures) {
    const err = f['err'] as { code: string; message: string };
    assert.equal(err.code, 'SLUICE_ERR_LOCKED');
    assert.match(err.message, new RegExp(`^directory ${checkpointDir} is locked by process ${firstChannelPid} \\(sluice a1 channel:c1\\)`));
  }
  assert.equal(logsMatching(second, /^File channel open\./).length, 0, 'the second agent never opened the channel');

  // The first agent and its files are untouched.
  assert.equal(first.component('channel:c1').state, 'running');
  assert.equal(first.component('channel:c1').pid, firstChannelPid);
  assert.equal(lockPid(checkpointDir), firstChannelPid);
  assert.equal(lockPid(dataDir), firstChannelPid);
  assert.equal(segmentsState(), before);
  assert.equal(first.counter('CHANNEL.c1', 'ChannelSize'), EVENTS);
  // It exits by itself, without retrying the channel (a SIGTERM now would race its own exit and
  // make it a graceful stop).
  assert.equal(await second.exited(10_000), 1, 'the second agent refused to start');
  assert.equal(logsMatching(second, /^Worker failed\.$/).length, 1, 'the channel was not restarted');
  agents.splice(agents.indexOf(second), 1);
});

test('after a SIGKILL of the whole first agent, a restart on the same directories takes the stale locks over', async () => {
  await killAgentHard(first);
  agents.splice(agents.indexOf(first), 1);
  assert.ok(gone(firstChannelPid));
  assert.equal(lockPid(checkpointDir), firstChannelPid, 'the kill left the lock files behind');
  assert.equal(lockPid(dataDir), firstChannelPid);

  const out = join(dir, 'out');
  const again = restartAgent(join(dir, 'first'), () => start('first', config(out)));
  await again.ready();
  const takeovers = logsMatching(again, /^Took over a stale lock\.$/).filter((l) => l['stalePid'] === firstChannelPid);
  assert.deepEqual(takeovers.map((l) => l['dir']).sort(), [checkpointDir, dataDir].sort());
  const pid = again.component('channel:c1').pid!;
  assert.equal(lockPid(checkpointDir), pid);
  assert.equal(lockPid(dataDir), pid);
  await waitFor('every event delivered', () => (readRolledLines(out).length >= EVENTS ? true : undefined));
  assert.deepEqual(readRolledLines(out), Array.from({ length: EVENTS }, (_, i) => String(i)));
  assert.equal(await again.stop(), 0);
  agents.splice(agents.indexOf(again), 1);
});
