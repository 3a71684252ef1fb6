/**
 * Flume configurations that start unchanged: file channel directories that do not exist yet, and
 * values taken from the environment, by `${NAME}` with Flume's
 * -DpropertiesImplementation=org.apache.flume.node.EnvVarResolverProperties, and by an env
 * config filter. seq → file channel → file_roll; every event must arrive once.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { AgentProcess, cleanup, tempDir, waitFor } from '../support/agent.js';
import { outputLines } from '../support/tiers.js';

const EVENTS = 20_000;
const dir = tempDir('flume-config-env');
after(() => cleanup(dir));

/** The agent's config, with `ref(name)` the way a value refers to environment variable `name`. */
function config(ref: (name: string) => string, filters = ''): string {
  return `${filters}a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = seq
a1.sources.r1.totalEvents = ${ref('TOTAL')}
a1.sources.r1.batchSize = 500
a1.sources.r1.channels = c1
a1.channels.c1.type = file
a1.channels.c1.checkpointDir = ${ref('STATE')}/checkpoint
a1.channels.c1.dataDirs = ${ref('STATE')}/data/one,${ref('STATE')}/data/two
a1.channels.c1.useDualCheckpoints = true
a1.channels.c1.backupCheckpointDir = ${ref('STATE')}/backup
a1.channels.c1.transactionCapacity = 1000
a1.channels.c1.minimumRequiredSpace = 1048576
a1.sinks.k1.type = ${ref('SINK_TYPE')}
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = ${ref('OUT')}
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.sink.batchSize = 1000
`;
}

async function runAndCount(name: string, text: string, args: string[]): Promise<void> {
  const home = join(dir, name);
  const state = join(home, 'state', 'does', 'not', 'exist');
  const out = join(home, 'out');
  const env = { TOTAL: String(EVENTS), STATE: state, SINK_TYPE: 'file_roll', OUT: out };
  mkdirSync(home, { recursive: true });
  assert.equal(existsSync(join(home, 'state')), false);
  const agent = new AgentProcess(home, 'a1', text, ['--status-interval', '200', ...args], env);
  try {
    await agent.ready();
    await waitFor('every event in the file_roll output', () => (outputLines(out).length >= EVENTS ? true : undefined), 60_000);
    await waitFor('the sink to have drained every event', () => (agent.counter('SINK.k1', 'EventDrainSuccessCount') >= EVENTS ? true : undefined), 10_000);
    const lines = outputLines(out);
    const seen = new Set(lines);
    const lost: number[] = [];
    for (let i = 0; i < EVENTS; i++) if (!seen.has(String(i))) lost.push(i);
    assert.deepEqual(lost.slice(0, 10), [], `${lost.length} events lost`);
    assert.equal(lines.length, EVENTS, 'each event once, nothing else');
    for (const d of ['checkpoint', 'data/one', 'data/two', 'backup']) {
      const stat = statSync(join(state, d));
      assert.ok(stat.isDirectory(), d);
      assert.equal((stat.mode & 0o777).toString(8), '700', `mode of ${d}`);
    }
    assert.equal((statSync(join(home, 'state')).mode & 0o777).toString(8), '700', 'missing parents are created 0700 too');
    const created = agent.logLines().filter((l) => l['msg'] === 'Created a missing file channel directory.').map((l) => l['key']);
    assert.deepEqual([...created].sort(), ['backupCheckpointDir', 'checkpointDir', 'dataDirs', 'dataDirs']);
  } finally {
    assert.equal(await agent.stop(), 0, agent.output);
  }
}

test('${NAME} values with -DpropertiesImplementation, file channel directories created: every event delivered', async () => {
  await runAndCount('env-var-resolver', config((n) => `\${${n}}`), ['-DpropertiesImplementation=org.apache.flume.node.EnvVarResolverProperties']);
});

test("${f1['NAME']} values from an env config filter, file channel directories created: every event delivered", async () => {
  const filters = 'a1.configfilters = f1\na1.configfilters.f1.type = env\n';
  await runAndCount('config-filter', config((n) => `\${f1['${n}']}`, filters), []);
});
