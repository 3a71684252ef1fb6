import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { AgentProcess, cleanup, readRolledLines, tally, tempDir, waitFor } from '../support/agent.js';

/*
 * Fan-out under a channel crash: seq (100,000 events, batches of 100) → replicating selector →
 * two required file channels, one file_roll sink each. The worker of the second channel is
 * SIGKILLed 3 times while events flow. Each channel commits on its own and a retry goes only to
 * the channel that has not committed: the first channel, never killed, must hand its sink every
 * event exactly once; the second every event at least once (its sink re-delivers what it had
 * taken and not seen acknowledged when its channel died).
 */

const TOTAL = 100_000;
const KILLS = 3;

const dir = tempDir('fan-out-crash');
after(() => cleanup(dir));

function config(out1: string, out2: string): string {
  const channel = (c: string) => `a1.channels.${c}.type = file
a1.channels.${c}.checkpointInterval = 200
a1.channels.${c}.maxFileSize = 1048576
a1.channels.${c}.minimumRequiredSpace = 1048576
a1.channels.${c}.transactionCapacity = 1000
`;
  const sink = (k: string, c: string, out: string) => `a1.sinks.${k}.type = file_roll
a1.sinks.${k}.channel = ${c}
a1.sinks.${k}.sink.directory = ${out}
a1.sinks.${k}.sink.rollInterval = 0
a1.sinks.${k}.sink.batchSize = 100
`;
  return `a1.sources = r1
a1.channels = c1 c2
a1.sinks = k1 k2
a1.sources.r1.type = seq
a1.sources.r1.totalEvents = ${TOTAL}
a1.sources.r1.batchSize = 100
a1.sources.r1.channels = c1 c2
a1.sources.r1.selector.type = replicating
${channel('c1')}${channel('c2')}${sink('k1', 'c1', out1)}${sink('k2', 'c2', out2)}`;
}

/** How often each of 0..TOTAL-1 occurs in `lines`; anything else is reported as unexpected. */
function account(lines: readonly string[]): { missing: number; duplicates: number; unexpected: number } {
  const counts = tally(lines);
  let missing = 0;
  let duplicates = 0;
  for (let i = 0; i < TOTAL; i++) {
    const n = counts.get(String(i)) ?? 0;
    if (n === 0) missing++;
    else duplicates += n - 1;
  }
  return { missing, duplicates, unexpected: [...counts.keys()].filter((l) => !/^\d+$/.test(l) || Number(l) >= TOTAL).length };
}

test(`replicating to two file channels, the second one's worker SIGKILLed ${KILLS} times: the first gets every event exactly once`, async () => {
  const out1 = join(dir, 'out1');
  const out2 = join(dir, 'out2');
  const agent = new AgentProcess(dir, 'a1', config(out1, out2), ['--status-interval', '50', '--restart-backoff-max', '1000']);
  const kills: { putsBefore: number; sourceAccepted: number }[] = [];
  try {
    await agent.ready();
    for (let k = 0; k < KILLS; k++) {
      // The channel (restarted, after the first kill) has committed something since the last kill:
      // events are flowing into it right now.
      const before = kills.at(-1)?.putsBefore ?? 0;
      await waitFor('the second channel to commit', () => agent.counter('CHANNEL.c2', 'EventPutSuccessCount') > before, 60_000);
      const putsBefore = agent.counter('CHANNEL.c2', 'EventPutSuccessCount');
      const sourceAccepted = agent.counter('SOURCE.r1', 'EventAcceptedCount');
      await agent.killWorker('channel:c2'); // resolves once the supervisor runs a new c2 worker
      kills.push({ putsBefore, sourceAccepted });
    }
    const complete = (out: string) => existsSync(out) && new Set(readRolledLines(out)).size >= TOTAL;
    await waitFor('every event in both outputs', () => complete(out1) && complete(out2), 120_000);

    const first = account(readRolledLines(out1));
    const second = account(readRolledLines(out2));
    const report =
      `first channel: ${first.missing} missing, ${first.duplicates} duplicates; second channel: ${second.missing} missing, ` +
      `${second.duplicates} duplicates; kills at c2 puts/source accepted: ${kills.map((k) => `${k.putsBefore}/${k.sourceAccepted}`).join(' ')}`;
    console.log(`# ${report}`);
    assert.deepEqual(first, { missing: 0, duplicates: 0, unexpected: 0 }, `the first channel's sink got every event exactly once (${report})`);
    assert.equal(second.missing, 0, `the second channel's sink got every event (${report})`);
    assert.equal(second.unexpected, 0, `nothing but the numbers 0..${TOTAL - 1} (${report})`);
    assert.ok(
      kills.every((k) => k.sourceAccepted < TOTAL),
      `every kill came before the source had every event committed (${report})`,
    );

    const s = agent.status()!;
    assert.equal(s.components.find((c) => c.id === 'channel:c2')!.restarts, KILLS);
    for (const id of ['source:r1', 'channel:c1', 'sink:k1', 'sink:k2']) {
      assert.equal(s.components.find((c) => c.id === id)!.restarts, 0, `${id} did not restart (a restarted seq would start over from 0)`);
    }
    assert.equal(agent.counter('SOURCE.r1', 'EventAcceptedCount'), TOTAL, 'the source counted every event accepted once');
  } finally {
    assert.equal(await agent.stop(), 0);
  }
});
