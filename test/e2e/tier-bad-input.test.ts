/**
 * Bad peers between tiers. One agent's failover group has three bad sinks above a good
 * one: a collector that accepts and never answers (request-timeout fires), a real collector whose
 * channel is full (its avro source answers FAILED), and a host name that does not resolve. Every
 * event reaches the good collector; each bad sink fails several times but is logged once.
 * Meanwhile a non-Flume client sends garbage to the good collector, which keeps serving.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cleanup, tally, tempDir, waitFor, type AgentProcess } from '../support/agent.js';
import { appendLines, avroClient, avroSinkProps, collectorConfig, freePort, logsOf, missing, outputLines, startAgent } from '../support/tiers.js';

const dir = tempDir('tier-bad');
after(() => cleanup(dir));

const LINES = 3000;
const FULL_CAPACITY = 100;

/** Accepts connections, reads whatever comes, never answers. */
async function blackhole(port: number): Promise<{ accepted: () => number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server: Server = createServer((s) => {
    accepted++;
    sockets.add(s);
    s.on('data', () => undefined);
    s.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    accepted: () => accepted,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function agentConfig(log: string, ports: { hole: number; full: number; good: number }): string {
  return (
    `a1.sources = r1
a1.channels = c1
a1.sinks = k1 k2 k3 k4
a1.sinkgroups = g1
a1.sources.r1.type = exec
a1.sources.r1.command = tail -n +1 -F ${log}
a1.sources.r1.batchSize = 100
a1.sources.r1.batchTimeout = 100
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 100000
a1.channels.c1.transactionCapacity = 1000
a1.sinkgroups.g1.sinks = k1 k2 k3 k4
a1.sinkgroups.g1.processor.type = failover
a1.sinkgroups.g1.processor.priority.k1 = 40
a1.sinkgroups.g1.processor.priority.k2 = 30
a1.sinkgroups.g1.processor.priority.k3 = 20
a1.sinkgroups.g1.processor.priority.k4 = 10
a1.sinkgroups.g1.processor.maxpenalty = 3000
` +
    avroSinkProps('a1', 'k1', ports.hole, { 'request-timeout': 1500 }) +
    avroSinkProps('a1', 'k2', ports.full) +
    avroSinkProps('a1', 'k3', 4141, { hostname: 'no-such-host.invalid' }) +
    avroSinkProps('a1', 'k4', ports.good)
  );
}

test('a silent collector, a FAILED collector and an unresolvable host: failed over, logged once each, no event lost', async () => {
  const log = join(dir, 'app.log');
  mkdirSync(dir, { recursive: true });
  writeFileSync(log, '');
  const [holePort, fullPort, goodPort, deadPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const goodOut = join(dir, 'good', 'out');
  const hole = await blackhole(holePort);
  // The full collector forwards to a port where nothing listens, so its channel never drains.
  const full: AgentProcess = startAgent(
    join(dir, 'full'),
    'full',
    collectorConfig('full', fullPort, '', {
      capacity: FULL_CAPACITY,
      transactionCapacity: FULL_CAPACITY,
      sink: { type: 'avro', hostname: '127.0.0.1', port: deadPort, 'batch-size': FULL_CAPACITY },
    }),
  );
  const good: AgentProcess = startAgent(join(dir, 'good'), 'good', collectorConfig('good', goodPort, goodOut));
  let agent: AgentProcess | undefined;
  try {
    await Promise.all([full.ready(), good.ready()]);
    // Fill the full collector's channel with events of no interest (this checks avro-client too).
    const filler = await avroClient(['-H', '127.0.0.1', '-p', String(fullPort), '--batch-size', String(FULL_CAPACITY)], 'filler\n'.repeat(FULL_CAPACITY));
    assert.equal(filler.code, 0, filler.stderr);
    await waitFor('full collector full', () => (full.counter('CHANNEL.c1', 'ChannelSize') === FULL_CAPACITY ? true : undefined), 10_000);
    const refused = await avroClient(['-H', '127.0.0.1', '-p', String(fullPort)], 'one more\n');
    assert.equal(refused.code, 1, 'avro-client exits 1 on FAILED');
    assert.match(refused.stderr, /answered FAILED/);

    agent = startAgent(join(dir, 'a1'), 'a1', agentConfig(log, { hole: holePort, full: fullPort, good: goodPort }));
    await agent.ready();
    const a = agent;

    // Garbage from a non-Flume client at the good collector, while the agent delivers to it.
    const garbage = connect({ host: '127.0.0.1', port: goodPort });
    garbage.on('error', () => undefined);
    garbage.write(Buffer.from('\x00\x00\x00\x01\xff\xff\xff\xffnot avro at all'));

    // Lines over ~12 s, so that each bad sink's penalty (≤ 3 s) ends several times.
    await appendLines(log, 0, LINES, 150, 600);
    await waitFor('every line at the good collector', () => (missing(tally(outputLines(goodOut)), 0, LINES).length === 0 ? true : undefined), 40_000);
    garbage.destroy();
    const lines = tally(outputLines(goodOut));
    const duplicates = [...lines.values()].reduce((n, c) => n + c - 1, 0);
    console.log(`# bad peers: ${LINES} lines at the good collector, 0 lost, ${duplicates} duplicated`);
    assert.equal(lines.size, LINES);

    // Counters are reported every 200 ms; wait until they show the whole run.
    await waitFor('k4 counters', () => (a.counter('SINK.k4', 'EventDrainSuccessCount') >= LINES ? true : undefined), 10_000);
    const report: string[] = [];
    for (const [k, why] of [
      ['k1', /no reply to appendBatch .* within 1500 ms/],
      ['k2', /answered FAILED/],
      ['k3', /no-such-host\.invalid/],
    ] as const) {
      const failures = a.counter(`SINK.${k}`, 'EventWriteFail');
      const warned = logsOf(a, k, /Cannot (connect|deliver) to the avro source/);
      report.push(`${k} failed ${failures}× / logged ${warned.length}×`);
      assert.ok(failures >= 2, `${k} failed only ${failures} times: the test did not retry it`);
      assert.equal(warned.length, 1, `${k}: one warning for ${failures} failures`);
      assert.match(String((warned[0]!['err'] as { message?: string }).message), why);
      assert.equal(a.counter(`SINK.${k}`, 'EventDrainSuccessCount'), 0);
    }
    console.log(`# ${report.join('; ')}; the silent collector accepted ${hole.accepted()} connections`);
    assert.ok(hole.accepted() >= 2, 'every timed-out connection was dropped and a new one made');

    // The full collector refused every batch with FAILED, logged once, and kept only its filler.
    const received = full.counter('SOURCE.r1', 'AppendBatchReceivedCount');
    const accepted = full.counter('SOURCE.r1', 'AppendBatchAcceptedCount');
    assert.equal(accepted, 1, 'only the filler batch was accepted');
    assert.ok(received - accepted >= 3, `the full collector refused ${received - accepted} batches`);
    assert.equal(full.counter('SOURCE.r1', 'ChannelWriteFail'), received - accepted);
    assert.equal(logsOf(full, 'r1', /did not take a batch/).length, 1, 'the full collector logs its refusals once');
    assert.equal(full.counter('CHANNEL.c1', 'ChannelSize'), FULL_CAPACITY);

    // The garbage closed its own connection only: counted and logged by the good collector.
    await waitFor('garbage counted', () => (good.counter('SOURCE.r1', 'MalformedRequestCount') >= 1 ? true : undefined), 5000);
    assert.equal(good.component('source:r1').restarts, 0, 'the collector never restarted');
  } finally {
    await Promise.all([agent?.stop(), full.stop(), good.stop(), hole.close()].map((p) => p?.catch(() => undefined)));
  }
});
