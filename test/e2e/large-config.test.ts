import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cleanup, tempDir, waitFor } from '../support/agent.js';
import { outputLines, startAgent } from '../support/tiers.js';

/*
 * An agent whose config file is larger than one environment string may be (Linux caps each at
 * 128 KiB): 300 static interceptors on one source, each with a 700-character value. Every worker
 * gets the whole topology, at start, at a restart after a crash, at `sluice ctl restart` and at a
 * reload; none of it shows in a worker's environment.
 */

const EVENTS = 2000;
const INTERCEPTORS = 300;
const LONG = 'x'.repeat(700);
const dir = tempDir('large-config');
after(() => cleanup(dir));

/** The first interceptor's header wins: the rest keep the value an event already has. */
function config(tag: string, out: string): string {
  const names = Array.from({ length: INTERCEPTORS }, (_, i) => `i${i}`);
  const interceptors = names.map((n, i) => `a1.sources.r1.interceptors.${n}.type = static
a1.sources.r1.interceptors.${n}.key = origin
a1.sources.r1.interceptors.${n}.value = ${tag}-${i}-${LONG}
`);
  return `a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = seq
a1.sources.r1.totalEvents = ${EVENTS}
a1.sources.r1.batchSize = 100
a1.sources.r1.channels = c1
a1.sources.r1.interceptors = ${names.join(' ')}
${interceptors.join('')}a1.channels.c1.type = memory
a1.channels.c1.capacity = 10000
a1.channels.c1.transactionCapacity = 1000
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = ${out}
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.sink.serializer = header_and_text
`;
}

/** The seq numbers delivered with the header of `tag`'s first interceptor. */
function delivered(out: string, tag: string): Set<string> {
  const prefix = `{origin=${tag}-0-${LONG}} `;
  return new Set(outputLines(out).filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length)));
}

test('an agent with a config file over 200 KiB starts, delivers, restarts and reloads its workers', async () => {
  const out = join(dir, 'out');
  const agent = startAgent(dir, 'a1', config('first', out), ['--no-reload-conf']);
  const file = join(dir, 'a1.properties');
  assert.ok(statSync(file).size > 200 * 1024, `the config file is ${statSync(file).size} bytes`);
  try {
    const ready = await agent.ready();
    await waitFor('every event delivered', () => (delivered(out, 'first').size === EVENTS ? true : undefined));
    assert.deepEqual(
      outputLines(out).filter((l) => !l.startsWith('{origin=first-0-')),
      [],
      'every event carries the first interceptor\'s header',
    );

    for (const c of ready.components) {
      const environ = readFileSync(`/proc/${c.pid}/environ`, 'latin1');
      assert.ok(!environ.includes(LONG), `${c.id}: the config is not in the worker's environment`);
      assert.ok(!environ.includes('SLUICE_WORKER'), `${c.id}: no worker definition in its environment`);
    }

    await agent.killWorker('sink:k1');
    const restart = await agent.ctl('restart', 'k1');
    assert.equal(restart.code, 0, restart.stderr);
    await waitFor('sink:k1 running after ctl restart', () => {
      const k1 = agent.component('sink:k1');
      return k1.state === 'running' && k1.restarts === 2 ? true : undefined;
    });

    writeFileSync(file, config('second', out));
    const reload = await agent.ctl('reload');
    assert.equal(reload.code, 0, reload.stderr);
    const applied = agent.logLines().find((l) => l['msg'] === 'Config reloaded.')!;
    assert.deepEqual(applied['restarted'], ['source:r1']);
    await waitFor('the reloaded source delivered every event again', () => (delivered(out, 'second').size === EVENTS ? true : undefined));
  } finally {
    assert.equal(await agent.stop(), 0, agent.output.slice(-4000));
  }
});
