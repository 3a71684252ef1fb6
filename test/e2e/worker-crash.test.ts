import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { AgentProcess, cleanup, freePort, readRolledLines, tally, tempDir, waitFor } from '../support/agent.js';
import { ResendingClient } from '../support/resending-client.js';

const dir = tempDir('crash');
after(() => cleanup(dir));

function netcatConfig(port: number, out: string): string {
  return `a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = netcat
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = ${port}
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

test('SIGKILL of the netcat source worker: a resending client loses no line', async () => {
  const sub = join(dir, 'netcat');
  mkdirSync(sub, { recursive: true });
  const out = join(sub, 'out');
  const port = await freePort();
  const agent = new AgentProcess(sub, 'a1', netcatConfig(port, out));
  const lines = Array.from({ length: 20_000 }, (_, i) => `event ${i}`);
  const client = new ResendingClient(port, lines);
  try {
    await agent.ready();
    const sending = client.run();
    await waitFor('a quarter confirmed', () => (client.confirmed > 5000 ? true : undefined));
    await agent.killWorker('source:r1');
    await sending;
    await waitFor('all delivered', () => (new Set(readRolledLines(out)).size >= lines.length ? true : undefined), 30_000);
    const counts = tally(readRolledLines(out));
    for (const l of lines) assert.ok(counts.has(l), `${l} lost`);
    const duplicates = [...counts.values()].reduce((n, c) => n + c - 1, 0);
    console.log(`# netcat source killed once: ${lines.length} lines, 0 lost, ${duplicates} re-sent duplicates, ${client.reconnects} reconnects`);
    assert.ok(client.reconnects >= 1, 'the kill broke the connection');
  } finally {
    client.close();
    assert.equal(await agent.stop(), 0);
  }
});

test('SIGKILL of the memory channel worker: the loss is logged with a count and the agent keeps running', async () => {
  const sub = join(dir, 'channel');
  mkdirSync(sub, { recursive: true });
  // No sink drains c1, so the 5000 events are still in memory when the channel worker dies.
  const config = `a1.sources = r1
a1.channels = c1
a1.sources.r1.type = seq
a1.sources.r1.totalEvents = 5000
a1.sources.r1.batchSize = 100
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 10000
a1.channels.c1.transactionCapacity = 1000
`;
  const agent = new AgentProcess(sub, 'a1', config);
  try {
    await agent.ready();
    await waitFor('5000 events in the channel', () => (agent.counter('CHANNEL.c1', 'ChannelSize') === 5000 ? true : undefined));
    await agent.killWorker('channel:c1');
    const lost = await waitFor('loss logged', () =>
      agent.logLines().find((l) => typeof l['msg'] === 'string' && /Volatile channel worker died/.test(l['msg'] as string)),
    );
    assert.equal(lost['events'], 5000, 'the log line carries the count');
    assert.equal(lost['level'], 50, 'at error level');
    const s = await agent.ready();
    assert.equal(s.state, 'running');
    assert.equal(s.components.find((c) => c.id === 'source:r1')!.restarts, 0, 'the source kept running');
  } finally {
    assert.equal(await agent.stop(), 0);
  }
});
