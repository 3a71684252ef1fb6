/**
 * Failover between tiers, step by step: an agent tails a log into a memory channel and
 * a failover group (k1 priority 10 → collector1, k2 priority 5 → collector2, maxpenalty 10 s);
 * each collector is its own `sluice agent` (avro source → memory → file_roll).
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cleanup, tally, tempDir, waitFor, type AgentProcess } from '../support/agent.js';
import { appendLines, avroSinkProps, collectorConfig, freePort, killAgentHard, logsOf, missing, outputLines, startAgent, waitForAsync } from '../support/tiers.js';

const dir = tempDir('tier-failover');
after(() => cleanup(dir));

function agentConfig(log: string, port1: number, port2: number): string {
  return (
    `a1.sources = r1
a1.channels = c1
a1.sinks = k1 k2
a1.sinkgroups = g1
a1.sources.r1.type = exec
a1.sources.r1.command = tail -n +1 -F ${log}
a1.sources.r1.batchSize = 100
a1.sources.r1.batchTimeout = 100
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 100000
a1.channels.c1.transactionCapacity = 1000
a1.sinkgroups.g1.sinks = k1 k2
a1.sinkgroups.g1.processor.type = failover
a1.sinkgroups.g1.processor.priority.k1 = 10
a1.sinkgroups.g1.processor.priority.k2 = 5
a1.sinkgroups.g1.processor.maxpenalty = 10000
` +
    avroSinkProps('a1', 'k1', port1) +
    avroSinkProps('a1', 'k2', port2)
  );
}

test('failover step by step: preferred collector, SIGKILL, fail-back after the penalty, both down then one back', async () => {
  const log = join(dir, 'app.log');
  const out1 = join(dir, 'c1', 'out');
  const out2 = join(dir, 'c2', 'out');
  mkdirSync(dir, { recursive: true });
  writeFileSync(log, '');
  const [port1, port2] = [await freePort(), await freePort()];
  const conf1 = collectorConfig('c1', port1, out1);
  const conf2 = collectorConfig('c2', port2, out2);
  let c1: AgentProcess = startAgent(join(dir, 'c1'), 'c1', conf1);
  let c2: AgentProcess = startAgent(join(dir, 'c2'), 'c2', conf2);
  let agent: AgentProcess | undefined;
  const seen = () => tally([...outputLines(out1), ...outputLines(out2)]);
  const arrived = (from: number, to: number) => missing(seen(), from, to).length === 0;
  let next = 0;
  const send = async (n: number, chunk = 500, pauseMs = 20) => {
    await appendLines(log, next, next + n, chunk, pauseMs);
    next += n;
  };
  try {
    await Promise.all([c1.ready(), c2.ready()]);
    // Started after its collectors, so that its sinks' first connections succeed.
    agent = startAgent(join(dir, 'a1'), 'a1', agentConfig(log, port1, port2));
    await agent.ready();

    // 1. Everything goes to the preferred collector.
    await send(2000);
    await waitFor('step 1 lines at collector1', () => arrived(0, 2000), 20_000);
    assert.equal(outputLines(out1).length, 2000);
    assert.equal(outputLines(out2).length, 0, 'the standby collector received nothing');
    const step1 = next;

    // 2. SIGKILL collector1 (supervisor and workers): the next lines go to collector2, none lost.
    await killAgentHard(c1);
    await send(2000);
    await waitFor('step 2 lines delivered', () => arrived(step1, next), 30_000);
    const at2 = new Set(outputLines(out2));
    assert.deepEqual(missing(at2, step1, next), [], 'every line after the kill is at collector2');
    assert.equal(outputLines(out1).length, 2000, 'collector1 is dead: it received nothing more');
    assert.equal(logsOf(agent, 'k1', /Cannot (connect|deliver) to the avro source/).length, 1, 'k1 failing is logged once');
    const step2 = next;

    // 3. Restart collector1: once its penalty (≤ maxpenalty 10 s) is over, new lines go to it again.
    c1 = startAgent(join(dir, 'c1'), 'c1', conf1);
    await c1.ready();
    const restarted = Date.now();
    const before1 = outputLines(out1).length;
    await waitForAsync(
      'fail-back to collector1',
      async () => {
        await send(100, 100, 0);
        await new Promise((r) => setTimeout(r, 400));
        return outputLines(out1).length > before1 ? true : undefined;
      },
      25_000,
    );
    const failBackMs = Date.now() - restarted;
    assert.ok(failBackMs < 10_000 + 3000, `fail-back took ${failBackMs} ms, more than maxpenalty allows`);
    await waitFor('probe lines delivered', () => arrived(step2, next), 20_000);
    const c2Before = outputLines(out2).length;
    const step3 = next;
    await send(2000);
    await waitFor('step 3 lines delivered', () => arrived(step3, next), 20_000);
    assert.deepEqual(missing(new Set(outputLines(out1)), step3, next), [], 'after fail-back every new line is at collector1');
    assert.equal(outputLines(out2).length, c2Before, 'and none at collector2');
    assert.equal(logsOf(agent, 'k1', /Delivering to the avro source again/).length, 1, 'k1 recovery is logged once');

    // 4. Both collectors stopped: the agent's channel holds what is appended; collector2 alone gets it all.
    assert.equal(await c1.stop(), 0);
    assert.equal(await c2.stop(), 0);
    const step4 = next;
    await send(1000, 250, 200);
    const a = agent;
    const early = await waitFor('ChannelSize after the first lines', () => {
      const n = a.counter('CHANNEL.c1', 'ChannelSize');
      return n >= 250 ? n : undefined;
    });
    await send(2000, 500, 100);
    const held = await waitFor('ChannelSize holding every retained line', () => {
      const n = a.counter('CHANNEL.c1', 'ChannelSize');
      return n >= next - step4 ? n : undefined;
    });
    assert.ok(held > early, `ChannelSize grew from ${early} to ${held}`);
    assert.equal(held, next - step4, 'the channel holds exactly the lines appended while both were down');
    c2 = startAgent(join(dir, 'c2'), 'c2', conf2);
    await c2.ready();
    await waitFor('retained lines delivered to collector2', () => arrived(step4, next), 40_000);
    await waitFor('agent channel drained', () => (a.counter('CHANNEL.c1', 'ChannelSize') === 0 ? true : undefined), 10_000);

    // Across the whole run: every line, duplicates counted.
    const all = seen();
    assert.deepEqual(missing(all, 0, next), [], 'no line lost');
    const duplicates = [...all.values()].reduce((n, c) => n + c - 1, 0);
    console.log(`# failover: ${next} lines, 0 lost, ${duplicates} duplicated; fail-back ${failBackMs} ms after collector1 was ready`);
    if (duplicates > 0) console.log(`# duplicated lines (first 10): ${[...all].filter(([, c]) => c > 1).slice(0, 10).map(([l, c]) => `${l.slice(0, 14)} ×${c}`).join(', ')}`);
    assert.ok(duplicates <= 1000, `duplicates (${duplicates}) beyond a few batches around the kill`);
    assert.equal(all.size, next, 'no line that was never appended');
  } finally {
    await Promise.all([agent?.stop(), c1.stop(), c2.stop()].map((p) => p?.catch(() => undefined)));
  }
});

test('a collector with a file channel SIGKILLed mid-stream: nothing it answered OK is lost', async () => {
  const sub = join(dir, 'durable');
  const log = join(sub, 'app.log');
  const store = join(sub, 'store', 'out');
  const out2 = join(sub, 'c2', 'out');
  mkdirSync(sub, { recursive: true });
  writeFileSync(log, '');
  const [port1, port2, storePort] = [await freePort(), await freePort(), await freePort()];
  const durable = { type: 'file', transactionCapacity: 1000, checkpointInterval: 1000, minimumRequiredSpace: 1_048_576 };
  // Collector1 forwards to a store tier that is not started until after the kill: its file
  // channel holds every event it answered OK for, whatever the machine's speed, and its restart
  // must replay them.
  const forward = { type: 'avro', hostname: '127.0.0.1', port: storePort, 'batch-size': 100 };
  const conf1 = collectorConfig('c1', port1, '', { channel: durable, sink: forward });
  let c1: AgentProcess = startAgent(join(sub, 'c1'), 'c1', conf1);
  const c2: AgentProcess = startAgent(join(sub, 'c2'), 'c2', collectorConfig('c2', port2, out2, { channel: durable }));
  let agent: AgentProcess | undefined;
  let storeTier: AgentProcess | undefined;
  const TOTAL = 20_000;
  const BACKLOG = 2000;
  try {
    await Promise.all([c1.ready(), c2.ready()]);
    agent = startAgent(join(sub, 'a1'), 'a1', agentConfig(log, port1, port2));
    await agent.ready();
    const appending = appendLines(log, 0, TOTAL, 250, 40);
    const held = await waitFor('collector1 holding a backlog', () => {
      const n = c1.counter('CHANNEL.c1', 'ChannelSize');
      return n >= BACKLOG ? n : undefined;
    });
    await killAgentHard(c1);
    await appending;
    // Restarted on the same directories: its file channel replays what it had committed.
    c1 = startAgent(join(sub, 'c1'), 'c1', conf1);
    await c1.ready();
    const replayed = Number(logsOf(c1, 'c1', /Channel opened with events from before/)[0]?.['events'] ?? 0);
    storeTier = startAgent(join(sub, 'store'), 'store', collectorConfig('store', storePort, store));
    await storeTier.ready();
    // A write cut by the kill may leave a partial last line: only whole lines count.
    const seen = () => tally([...outputLines(store), ...outputLines(out2)]);
    await waitFor('every line delivered', () => (missing(seen(), 0, TOTAL).length === 0 ? true : undefined), 40_000);
    const all = seen();
    const duplicates = [...all].reduce((n, [l, c]) => n + (l.length > 0 ? c - 1 : 0), 0);
    console.log(
      `# durable collector killed mid-stream: ${TOTAL} lines, 0 lost, ${duplicates} duplicated (through collector1 ${outputLines(store).length}, ` +
        `collector2 ${outputLines(out2).length}; collector1 held ${held} when killed, its channel replayed ${String(replayed)} events)`,
    );
    assert.ok(replayed >= held, `collector1's channel replayed ${replayed} events, fewer than the ${held} it reported holding`);
    assert.ok(duplicates <= 3000, `duplicates (${duplicates}) beyond the batches in flight around the kill`);
    assert.equal(all.size, TOTAL, 'no line that was never appended');
  } finally {
    await Promise.all([agent?.stop(), c1.stop(), c2.stop(), storeTier?.stop()].map((p) => p?.catch(() => undefined)));
  }
});
