import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { AgentProcess, cleanup, tally, tempDir, waitFor } from '../support/agent.js';
import { assertNoErrorButTornCuts, freePort, killAgentHard, logsMatching, restartAgent, sleep } from '../support/file-channel.js';
import { ResendingClient } from '../support/resending-client.js';
import { scaled } from '../support/scale.js';

/*
 * The crash test (whole agent): netcat fed by a client that re-sends every line
 * it has no OK for → file channel → file_roll. The whole agent (supervisor and every worker's
 * process group) is SIGKILLed 5 times and started again on the same directories; the client keeps
 * running across the restarts. Every line must come out; duplicates are reported. 100,000 lines;
 * 1,000,000 at full scale (test/support/scale.ts).
 */

const SIZE = scaled(100_000, 1_000_000);
const LINES = SIZE.count;
const KILLS = 5;
const WINDOW = 200;
const SINK_BATCH = 100;
/**
 * Duplicates one kill can cause: the client's unconfirmed window (committed, OK not received),
 * and batches the sink delivered whose ACK was not yet durable (4 × 8 + 1 batches with the
 * runtime's window of 8: see the worker test).
 */
const MAX_DUPLICATES_PER_KILL = WINDOW + 33 * SINK_BATCH;

const dir = tempDir('fc-agent');
after(() => cleanup(dir));

function config(port: number, out: string): string {
  return `a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = netcat
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = ${port}
a1.sources.r1.channels = c1
a1.channels.c1.type = file
a1.channels.c1.checkpointInterval = 1000
a1.channels.c1.maxFileSize = 262144
a1.channels.c1.minimumRequiredSpace = 1048576
a1.channels.c1.transactionCapacity = 1000
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = ${out}
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.sink.batchSize = ${SINK_BATCH}
`;
}

const line = (i: number) => `event ${String(i).padStart(6, '0')} ${'z'.repeat(40)}`;

/** Lines of every output file; a last line without its newline (a write cut by the kill) is counted apart. */
function readOutput(out: string): { lines: string[]; torn: string[] } {
  const lines: string[] = [];
  const torn: string[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(out);
  } catch {
    return { lines, torn };
  }
  for (const f of names) {
    const text = readFileSync(join(out, f), 'utf8');
    const parts = text.split('\n');
    const last = parts.pop()!;
    if (last !== '') torn.push(last);
    for (const l of parts) lines.push(l); // not push(...parts): a million arguments overflow the stack
  }
  return { lines, torn };
}

test('SIGKILL of the whole agent 5 times, restarted on the same dirs: every line arrives', async () => {
  const out = join(dir, 'out');
  const port = await freePort();
  const lines = Array.from({ length: LINES }, (_, i) => line(i));
  const client = new ResendingClient(port, lines);
  const start = () => new AgentProcess(dir, 'a1', config(port, out), ['--status-interval', '100']);
  let agent = start();
  const previous: AgentProcess[] = [];
  const started = Date.now();
  let sending: Promise<void> | undefined;
  try {
    await agent.ready();
    sending = client.run(WINDOW, SIZE.stretch(90_000));
    for (let k = 0; k < KILLS; k++) {
      // Kill at a random moment while lines flow: past the next sixth of the input, plus up to 200 ms.
      const mark = Math.round(((k + 1) * LINES) / (KILLS + 2));
      await waitFor(`${mark} lines confirmed`, () => (client.confirmed >= mark ? true : undefined), SIZE.stretch(30_000));
      await sleep(Math.random() * 200);
      const channelPid = agent.component('channel:c1').pid;
      await killAgentHard(agent);
      previous.push(agent);
      agent = restartAgent(dir, start);
      await agent.ready();
      const takeovers = logsMatching(agent, /Took over a stale lock/);
      assert.ok(
        takeovers.some((l) => l['stalePid'] === channelPid),
        `restart ${k + 1} took the dead channel's locks over: ${JSON.stringify(takeovers)}`,
      );
    }
    await sending;
    await waitFor('every line in the output', () => (new Set(readOutput(out).lines).size >= LINES ? true : undefined), SIZE.stretch(30_000));
    const { lines: got, torn } = readOutput(out);
    const counts = tally(got);
    const lost = lines.filter((l) => !counts.has(l));
    assert.deepEqual(lost.slice(0, 10), [], `${lost.length} lines lost`);
    const strangers = [...counts.keys()].filter((l) => !/^event \d{6} z{40}$/.test(l));
    assert.deepEqual(strangers, [], 'no garbled line');
    const duplicates = [...counts.values()].reduce((n, c) => n + c - 1, 0);
    console.log(
      `# whole agent SIGKILLed ${KILLS} times in ${((Date.now() - started) / 1000).toFixed(1)} s: ${LINES} lines, 0 lost, ` +
        `${duplicates} duplicates, ${client.reconnects} client reconnects, ${torn.length} output lines cut by a kill`,
    );
    assert.ok(duplicates <= KILLS * MAX_DUPLICATES_PER_KILL, `${duplicates} duplicates exceed ${KILLS} × ${MAX_DUPLICATES_PER_KILL}`);
    assert.ok(client.reconnects >= KILLS, 'each kill broke the connection');
    // Recovery found no damage.
    assertNoErrorButTornCuts([...previous, agent].flatMap((a) => a.logLines()), 'no other error logged by any incarnation');
  } finally {
    client.close();
    await sending?.catch(() => undefined);
    assert.equal(await agent.stop(), 0);
  }
});
