/**
 * Load balancing between tiers: an agent tails a log into a memory channel and a
 * load_balance group (round_robin, backoff) of three avro sinks, each to its own collector agent.
 * 30,000 events in CI; 300,000 at full scale (test/support/scale.ts).
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cleanup, tally, tempDir, waitFor, type AgentProcess } from '../support/agent.js';
import { scaled } from '../support/scale.js';
import { appendLines, avroSinkProps, collectorConfig, freePort, logsOf, missing, outputLines, startAgent } from '../support/tiers.js';

const dir = tempDir('tier-lb');
after(() => cleanup(dir));

const SIZE = scaled(30_000, 300_000);
const EVENTS = SIZE.count;
const AFTER_STOP = 9000;

function agentConfig(log: string, ports: readonly number[]): string {
  return (
    `a1.sources = r1
a1.channels = c1
a1.sinks = k1 k2 k3
a1.sinkgroups = g1
a1.sources.r1.type = exec
a1.sources.r1.command = tail -n +1 -F ${log}
a1.sources.r1.batchSize = 100
a1.sources.r1.batchTimeout = 100
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 100000
a1.channels.c1.transactionCapacity = 1000
a1.sinkgroups.g1.sinks = k1 k2 k3
a1.sinkgroups.g1.processor.type = load_balance
a1.sinkgroups.g1.processor.selector = round_robin
a1.sinkgroups.g1.processor.backoff = true
` + ports.map((p, i) => avroSinkProps('a1', `k${i + 1}`, p)).join('')
  );
}

test('round robin over three collectors: a third each; one stopped, the other two absorb its share; backoff spares the dead one', async () => {
  const log = join(dir, 'app.log');
  mkdirSync(dir, { recursive: true });
  writeFileSync(log, '');
  const ports = [await freePort(), await freePort(), await freePort()];
  const outs = ports.map((_, i) => join(dir, `c${i + 1}`, 'out'));
  const collectors: AgentProcess[] = ports.map((p, i) => startAgent(join(dir, `c${i + 1}`), `c${i + 1}`, collectorConfig(`c${i + 1}`, p, outs[i]!)));
  let agent: AgentProcess | undefined;
  const perCollector = () => outs.map((o) => outputLines(o).length);
  const seen = () => tally(outs.flatMap((o) => outputLines(o)));
  try {
    await Promise.all(collectors.map((c) => c.ready()));
    agent = startAgent(join(dir, 'a1'), 'a1', agentConfig(log, ports));
    await agent.ready();

    // EVENTS over three healthy collectors: a third each, ±10%.
    await appendLines(log, 0, EVENTS, 1000, 10);
    await waitFor('every event delivered', () => (missing(seen(), 0, EVENTS).length === 0 ? true : undefined), SIZE.stretch(60_000));
    const shares = perCollector();
    console.log(`# round robin, 3 collectors, ${EVENTS} events: ${shares.join(' / ')}`);
    for (const [i, n] of shares.entries()) {
      assert.ok(Math.abs(n - EVENTS / 3) <= EVENTS / 30, `collector${i + 1} got ${n} events, not a third ±10%`);
    }
    assert.equal(shares.reduce((a, b) => a + b, 0), EVENTS, 'no duplicates while every collector is healthy');

    // Stop collector3: collectors 1 and 2 absorb its share, nothing is lost.
    const a = agent;
    const batchesBefore = [0, 1].map((i) => collectors[i]!.counter('SOURCE.r1', 'AppendBatchAcceptedCount'));
    assert.equal(await collectors[2]!.stop(), 0);
    const before = perCollector();
    await appendLines(log, EVENTS, EVENTS + AFTER_STOP, 300, 150);
    await waitFor('events after the stop delivered', () => (missing(seen(), EVENTS, EVENTS + AFTER_STOP).length === 0 ? true : undefined), 60_000);
    const gained = perCollector().map((n, i) => n - before[i]!);
    console.log(`# collector3 stopped, ${AFTER_STOP} more events: ${gained.join(' / ')}`);
    assert.equal(gained[2], 0, 'the stopped collector got nothing');
    for (const i of [0, 1]) {
      assert.ok(Math.abs(gained[i]! - AFTER_STOP / 2) <= AFTER_STOP * 0.15, `collector${i + 1} absorbed ${gained[i]} of ${AFTER_STOP}, not about half`);
    }
    const all = seen();
    assert.deepEqual(missing(all, 0, EVENTS + AFTER_STOP), [], 'no event lost');
    const duplicates = [...all.values()].reduce((n, c) => n + c - 1, 0);
    console.log(`# load balance: ${EVENTS + AFTER_STOP} events, 0 lost, ${duplicates} duplicated`);

    // backoff = true: the dead sink is skipped while penalised, not tried for every batch.
    await waitFor('counters reported', () =>
      [0, 1].every((i) => collectors[i]!.counter('SOURCE.r1', 'EventAcceptedCount') === outputLines(outs[i]!).length) ? true : undefined,
    );
    const batchesAfter = [0, 1].reduce((n, i) => n + collectors[i]!.counter('SOURCE.r1', 'AppendBatchAcceptedCount') - batchesBefore[i]!, 0);
    const k3Failures = await waitFor('k3 failures reported', () => a.counter('SINK.k3', 'EventWriteFail') || undefined);
    console.log(`# after the stop: ${batchesAfter} batches delivered by k1/k2; k3 tried and failed ${k3Failures} times`);
    assert.ok(batchesAfter >= 80, `only ${batchesAfter} batches after the stop`);
    assert.ok(k3Failures <= 6, `the dead sink failed ${k3Failures} times: it was tried far more often than its backoff allows`);
    assert.equal(logsOf(a, 'k3', /Cannot (connect|deliver) to the avro source/).length, 1, 'the dead sink is logged once, not per batch');
  } finally {
    await Promise.all([agent?.stop(), ...collectors.map((c) => c.stop())].map((p) => p?.catch(() => undefined)));
  }
});
