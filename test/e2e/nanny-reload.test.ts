import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { type AgentProcess, cleanup, readRolledLines, tally, tempDir, waitFor } from '../support/agent.js';
import { ResendingClient } from '../support/resending-client.js';
import { avroSinkProps, collectorConfig, freePort, outputLines, startAgent } from '../support/tiers.js';

/*
 * The reload test: the config file is polled; an invalid edit is refused with
 * its errors logged and the old topology keeps running; removing a channel that holds events is
 * refused without --force; changing one sink's property restarts only that sink's worker (the
 * other pids stay), and the memory channel keeps the events it held — here the edit points a
 * sink at a dead port to a live collector, and every held event is delivered once.
 */

const EVENTS = 20_000;
const dir = tempDir('reload');
const agents: AgentProcess[] = [];
after(async () => {
  for (const a of agents) await a.stop(10_000).catch(() => undefined);
  cleanup(dir);
});

function config(sinkPort: number, extra = ''): string {
  return (
    `a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = seq
a1.sources.r1.totalEvents = ${EVENTS}
a1.sources.r1.batchSize = 500
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 100000
a1.channels.c1.transactionCapacity = 1000
` +
    avroSinkProps('a1', 'k1', sinkPort, { 'batch-size': 500 }) +
    extra
  );
}

const pids = (agent: AgentProcess) => Object.fromEntries(agent.status()!.components.map((c) => [c.id, c.pid]));

test('reload: invalid edits are refused, a non-empty channel is not removed, a sink edit restarts only that sink', async () => {
  const deadPort = await freePort();
  const livePort = await freePort();
  const out = join(dir, 'collector', 'out');
  const collector = startAgent(join(dir, 'collector'), 'c', collectorConfig('c', livePort, out));
  agents.push(collector);
  await collector.ready();

  const agent = startAgent(join(dir, 'agent'), 'a1', config(deadPort), ['--reload-interval', '0.2']);
  agents.push(agent);
  await agent.ready();
  const file = join(agent.dir, 'a1.properties');
  await waitFor('the channel holds every event', () => (agent.counter('CHANNEL.c1', 'ChannelSize') === EVENTS ? true : undefined));
  const before = pids(agent);

  // 1. An invalid edit (found by polling) is refused with its errors; nothing restarts.
  writeFileSync(file, config(deadPort).replace('capacity = 100000', 'capacity = lots'));
  const refused = await waitFor('the refused reload', () => agent.logLines().find((l) => l['msg'] === 'Reload refused: the new config is invalid.'));
  assert.match(String(refused['error']), /capacity/);
  const viaCtl = await agent.ctl('reload');
  assert.equal(viaCtl.code, 1);
  assert.match(viaCtl.stderr, /invalid.*keeps running/s);
  assert.deepEqual(pids(agent), before);

  // 2. Removing the channel that holds the events is refused without --force.
  const moved = config(deadPort).replaceAll('c1', 'c9');
  writeFileSync(file, moved);
  const removal = await agent.ctl('reload');
  assert.equal(removal.code, 1);
  assert.match(removal.stderr, new RegExp(`channel:c1 holds ${EVENTS} events.*--force`));
  assert.deepEqual(pids(agent), before);
  assert.equal(agent.counter('CHANNEL.c1', 'ChannelSize'), EVENTS);

  // 3. Point k1 at the live collector: only sink:k1 restarts, and the held events flow.
  writeFileSync(file, config(livePort));
  await waitFor('the reload applied', () => agent.logLines().find((l) => l['msg'] === 'Config reloaded.'));
  await waitFor('sink:k1 running again', () => {
    const k1 = agent.status()!.components.find((c) => c.id === 'sink:k1')!;
    return k1.state === 'running' && k1.pid !== before['sink:k1'] ? true : undefined;
  });
  const afterReload = pids(agent);
  assert.equal(afterReload['channel:c1'], before['channel:c1'], 'the channel kept running');
  assert.equal(afterReload['source:r1'], before['source:r1'], 'the source kept running');
  assert.notEqual(afterReload['sink:k1'], before['sink:k1']);
  const applied = agent.logLines().filter((l) => l['msg'] === 'Config reloaded.');
  assert.equal(applied.length, 1);
  assert.deepEqual(applied[0]!['restarted'], ['sink:k1']);

  await waitFor('every held event delivered', () => (outputLines(out).length >= EVENTS ? true : undefined), 60_000);
  const seen = tally(outputLines(out));
  const missing = Array.from({ length: EVENTS }, (_, i) => String(i)).filter((l) => !seen.has(l));
  assert.deepEqual(missing, [], 'no event lost');
  assert.equal(outputLines(out).length, EVENTS, 'none duplicated');

  // 4. Unchanged file, ctl reload: nothing touched.
  const again = await agent.ctl('reload');
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(pids(agent), afterReload);
});

test('reload of a changed memory channel: its source pauses, the channel drains, nothing is lost', async () => {
  const port = await freePort();
  const sub = join(dir, 'drain');
  const out = join(sub, 'out');
  const text = (capacity: number) => `a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = netcat
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = ${port}
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = ${capacity}
a1.channels.c1.transactionCapacity = 1000
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = ${out}
a1.sinks.k1.sink.rollInterval = 0
`;
  const agent = startAgent(sub, 'a1', text(50_000), ['--no-reload-conf']);
  agents.push(agent);
  await agent.ready();
  const lines = Array.from({ length: 40_000 }, (_, i) => `line ${i}`);
  const client = new ResendingClient(port, lines);
  // A small window paces the client (each line waits for its commit), so the reload lands mid-stream.
  const sending = client.run(5);
  await waitFor('some lines confirmed', () => (client.confirmed > 2000 ? true : undefined));
  writeFileSync(join(sub, 'a1.properties'), text(60_000));
  const reload = await agent.ctl('reload');
  assert.equal(reload.code, 0, reload.stderr);
  assert.ok(client.confirmed < lines.length, `the reload happened mid-stream (${client.confirmed} confirmed)`);
  const applied = agent.logLines().find((l) => l['msg'] === 'Config reloaded.')!;
  assert.deepEqual(applied['restarted'], ['channel:c1', 'sink:k1', 'source:r1']);
  await sending;
  assert.ok(client.reconnects >= 1, 'the source restarted under the client');
  await waitFor('every line delivered', () => (new Set(readRolledLines(out)).size >= lines.length ? true : undefined), 30_000);
  const counts = tally(readRolledLines(out));
  assert.deepEqual(lines.filter((l) => !counts.has(l)), [], 'nothing lost');
  const duplicates = [...counts.values()].reduce((n, c) => n + c - 1, 0);
  console.log(`# memory channel reloaded mid-stream: ${lines.length} lines, 0 lost, ${duplicates} re-sent duplicates`);
  assert.equal(agent.logLines().filter((l) => /not drained in time|events still in it/.test(String(l['msg']))).length, 0, 'drained before the restart');
  await waitFor('the new capacity reported', () => (agent.counter('CHANNEL.c1', 'ChannelCapacity') === 60_000 ? true : undefined));
});
