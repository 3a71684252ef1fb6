import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { AgentProcess, cleanup, readRolledLines, tally, tempDir, waitFor } from '../support/agent.js';
import { sleep } from '../support/file-channel.js';

/*
 * A full channel holds a source's batches until its sink makes room, as Flume's put waits for
 * keep-alive seconds: each batch crosses to the channel once. A sink stalled longer than the
 * keep-alive makes the channel answer FULL; the source then re-sends in order. Either way every
 * event arrives once. The sink worker is stalled with SIGSTOP.
 */

const EVENTS = 30_000;
const CAPACITY = 2000;
const KEEP_ALIVE_S = 2;
const dir = tempDir('full-channel');
after(() => cleanup(dir));

function config(out: string): string {
  return `a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = seq
a1.sources.r1.totalEvents = ${EVENTS}
a1.sources.r1.batchSize = 100
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = ${CAPACITY}
a1.channels.c1.transactionCapacity = 100
a1.channels.c1.keep-alive = ${KEEP_ALIVE_S}
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = ${out}
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.sink.batchSize = 100
`;
}

/** Runs the flow with the sink stalled for `stallMs` once the channel is full; returns the channel's counters. */
async function run(name: string, stallMs: number): Promise<{ attempts: number; successes: number }> {
  const sub = join(dir, name);
  mkdirSync(sub, { recursive: true });
  const out = join(sub, 'out');
  const agent = new AgentProcess(sub, 'a1', config(out), ['--status-interval', '50']);
  try {
    await agent.ready();
    const sinkPid = agent.component('sink:k1').pid!;
    process.kill(sinkPid, 'SIGSTOP');
    try {
      await waitFor('a full channel', () => (agent.counter('CHANNEL.c1', 'ChannelSize') >= CAPACITY ? true : undefined));
      await sleep(stallMs);
    } finally {
      process.kill(sinkPid, 'SIGCONT');
    }
    await waitFor('every event delivered', () => (agent.counter('SINK.k1', 'EventDrainSuccessCount') >= EVENTS ? true : undefined), 60_000);
    // Each worker reports its counters on its own schedule: the sink's count can be ahead of the channel's.
    await waitFor('the channel counted every commit', () => (agent.counter('CHANNEL.c1', 'EventPutSuccessCount') >= EVENTS ? true : undefined));
    const lines = readRolledLines(out);
    const counts = tally(lines);
    for (let i = 0; i < EVENTS; i++) assert.equal(counts.get(String(i)), 1, `event ${i} arrived ${counts.get(String(i)) ?? 0} times`);
    assert.equal(lines.length, EVENTS);
    const attempts = agent.counter('CHANNEL.c1', 'EventPutAttemptCount');
    const successes = agent.counter('CHANNEL.c1', 'EventPutSuccessCount');
    console.log(`# ${name}: sink stalled ${stallMs} ms on a full channel: ${EVENTS} events once each; put attempts ${attempts}, committed ${successes}`);
    return { attempts, successes };
  } finally {
    assert.equal(await agent.stop(), 0);
  }
}

test('a sink stalled for less than keep-alive: the full channel holds the batches, none is sent twice', async () => {
  const { attempts, successes } = await run('held', (KEEP_ALIVE_S * 1000) / 4);
  assert.equal(successes, EVENTS);
  assert.equal(attempts, EVENTS, 'no batch was refused and re-sent');
});

test('a sink stalled for longer than keep-alive: the channel answers FULL, the source re-sends in order, nothing is lost', async () => {
  const { attempts, successes } = await run('refused', KEEP_ALIVE_S * 1000 * 2);
  assert.equal(successes, EVENTS);
  assert.ok(attempts > EVENTS, `batches were refused and re-sent (${attempts} attempts)`);
});
