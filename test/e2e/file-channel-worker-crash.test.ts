import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { AgentProcess, cleanup, readRolledLines, tally, tempDir, waitFor } from '../support/agent.js';
import { assertNoErrorButTornCuts, logsMatching, sleep } from '../support/file-channel.js';
import { scaled } from '../support/scale.js';

/*
 * The crash test: seq (100,000 events, batches of 100; 1,000,000 at full scale,
 * test/support/scale.ts) → file channel → file_roll,
 * the channel worker SIGKILLed 10 times at random moments. Nothing may be lost; duplicates are
 * only batches the sink had delivered and not yet seen acknowledged at a kill.
 *
 * A kill loses the requests the channel had not answered; the source and the sink re-send them
 * when the supervisor reports the new channel worker ready. Kills come in pairs: one while events
 * flow (the new channel has committed something), then one at a random moment of the time that
 * follows (while it replays, checkpoints, or serves the re-sent requests).
 */

const SIZE = scaled(100_000, 1_000_000);
const TOTAL = SIZE.count;
const SOURCE_BATCH = 100;
const SINK_BATCH = 100;
const KILLS = 10;
/**
 * What a kill can duplicate: batches the sink delivered whose ACK was not yet durable, or took
 * from the dead channel and delivers after it. With the runtime's window W (DEFAULT_TUNING.window,
 * 8) the sink runner has up to W TAKEs in flight, each carrying an ACK, up to 2 × W ACKs sent
 * alone, W batches prefetched and one being delivered: 4 × W + 1 batches of SINK_BATCH events.
 */
const WINDOW = 8;
const MAX_DUPLICATES_PER_KILL = (4 * WINDOW + 1) * SINK_BATCH;

const dir = tempDir('fc-worker');
after(() => cleanup(dir));

function config(out: string): string {
  return `a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = seq
a1.sources.r1.totalEvents = ${TOTAL}
a1.sources.r1.batchSize = ${SOURCE_BATCH}
a1.sources.r1.channels = c1
a1.channels.c1.type = file
a1.channels.c1.checkpointInterval = 200
a1.channels.c1.maxFileSize = 65536
a1.channels.c1.minimumRequiredSpace = 1048576
a1.channels.c1.transactionCapacity = 1000
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = ${out}
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.sink.batchSize = ${SINK_BATCH}
`;
}

test('SIGKILL of the file channel worker 10 times: every event arrives, duplicates bounded by the batches in flight', async () => {
  const out = join(dir, 'out');
  // --restart-backoff-max keeps each restart under a second (the default doubles up to 30 s in a
  // crash loop); the restart-intensity limit is the default one, which must not mark c1 failed.
  const agent = new AgentProcess(dir, 'a1', config(out), ['--status-interval', '50', '--restart-backoff-max', '1000']);
  const started = Date.now();
  const kills: { at: number; during: 'flow' | 'quiet'; putsBefore: number }[] = [];
  try {
    await agent.ready();
    for (let k = 0; k < KILLS; k++) {
      const during = k % 2 === 0 ? 'flow' : 'quiet';
      if (during === 'flow') {
        // The restarted channel has committed something since the last kill (the counter is the
        // supervisor's total over every incarnation): events are in flight right now. (Once the
        // source has sent everything there is no flow left: the kill is a quiet one.)
        const before = kills.at(-1)?.putsBefore ?? 0;
        await waitFor(
          'the channel commits',
          () => (agent.counter('CHANNEL.c1', 'EventPutSuccessCount') > before || agent.counter('SOURCE.r1', 'EventAcceptedCount') >= TOTAL ? true : undefined),
          30_000,
        );
        await sleep(Math.random() * 60);
      } else {
        await sleep(Math.random() * 1500);
      }
      const putsBefore = agent.counter('CHANNEL.c1', 'EventPutSuccessCount');
      await agent.killWorker('channel:c1');
      kills.push({ at: Date.now() - started, during, putsBefore });
    }
    await waitFor('every event in the output', () => (new Set(readRolledLines(out)).size >= TOTAL ? true : undefined), SIZE.stretch(40_000));

    const counts = tally(readRolledLines(out));
    const missing: number[] = [];
    for (let i = 0; i < TOTAL; i++) if (!counts.has(String(i))) missing.push(i);
    assert.deepEqual(missing, [], 'no event lost');
    assert.equal(counts.size, TOTAL, `nothing but the numbers 0..${TOTAL - 1}`);
    const duplicates = [...counts.values()].reduce((n, c) => n + c - 1, 0);
    const duplicated = [...counts].filter(([, c]) => c > 1).length;
    console.log(
      `# file channel worker SIGKILLed ${KILLS} times in ${((Date.now() - started) / 1000).toFixed(1)} s: ${TOTAL} events, 0 lost, ` +
        `${duplicates} duplicates (${duplicated} distinct events); kills: ${kills.map((k) => `${k.during}@${k.at}ms/${k.putsBefore}`).join(' ')}`,
    );
    assert.ok(duplicates <= KILLS * MAX_DUPLICATES_PER_KILL, `${duplicates} duplicates exceed ${KILLS} kills × ${MAX_DUPLICATES_PER_KILL}`);

    const s = agent.status()!;
    const channel = s.components.find((c) => c.id === 'channel:c1')!;
    assert.equal(channel.state, 'running', 'the default restart policy did not mark the channel failed');
    assert.equal(channel.restarts, KILLS);
    // A restarted seq source would start again from 0 and hide losses: it must not have restarted.
    assert.equal(s.components.find((c) => c.id === 'source:r1')!.restarts, 0);
    assert.equal(s.components.find((c) => c.id === 'sink:k1')!.restarts, 0);
    assert.equal(logsMatching(agent, /over its restart limit/).length, 0);

    // Every start recovered from the log and checkpoints; none found damage.
    const opens = logsMatching(agent, /^File channel open\.$/);
    assert.equal(opens.length, KILLS + 1);
    assert.ok(opens.some((o) => o['from'] === 'checkpoint'), 'restarts resumed from a checkpoint');
    assertNoErrorButTornCuts(agent.logLines(), 'no other error logged (damage, lost data, a failed worker)');
    // Consumed segments go at the next checkpoint after their last ack.
    const segments = () => readdirSync(join(dir, 'data', 'c1', 'data')).filter((f) => f.startsWith('log-'));
    await waitFor('consumed segments deleted', () => (segments().length <= 3 ? true : undefined), 15_000).catch(() => {
      assert.fail(`consumed segments are deleted (left: ${segments().join(', ')})`);
    });
  } finally {
    assert.equal(await agent.stop(), 0);
  }
});
