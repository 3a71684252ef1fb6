import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadAgentConfig, type Topology } from '@sluice/config';
import { planReload } from './reload-plan.js';
import { defaultRegistry } from './registry.js';

const BASE = `a1.sources = r1 r2
a1.channels = c1 c2
a1.sinks = k1 k2 k3
a1.sinkgroups = g1
a1.sinkgroups.g1.sinks = k2 k3
a1.sinkgroups.g1.processor.type = failover
a1.sources.r1.type = seq
a1.sources.r1.channels = c1
a1.sources.r2.type = seq
a1.sources.r2.channels = c2
a1.channels.c1.type = memory
a1.channels.c2.type = memory
a1.sinks.k1.type = null
a1.sinks.k1.channel = c1
a1.sinks.k2.type = null
a1.sinks.k2.channel = c2
a1.sinks.k3.type = null
a1.sinks.k3.channel = c2
`;

function topology(text: string): Topology {
  const result = loadAgentConfig({ text, file: 'test.properties', agent: 'a1', registry: defaultRegistry() });
  assert.ok(result.topology, JSON.stringify(result.diagnostics));
  return result.topology;
}

const plan = (after: string) => planReload(topology(BASE), topology(after));

test('the same file plans nothing, even with keys reordered and lines shifted', () => {
  const reordered = '# a comment that shifts every line\n\n' + BASE.split('\n').reverse().join('\n');
  assert.deepEqual(plan(reordered), { stop: [], start: [], restart: [] });
});

test("a sink's property restarts only its group", () => {
  assert.deepEqual(plan(BASE + 'a1.sinks.k3.batchSize = 10\n'), { stop: [], start: [], restart: ['sink:g1'] });
  assert.deepEqual(plan(BASE + 'a1.sinks.k1.batchSize = 10\n'), { stop: [], start: [], restart: ['sink:k1'] });
});

test("a processor's property restarts its group; a source's restarts the source", () => {
  assert.deepEqual(plan(BASE + 'a1.sinkgroups.g1.processor.maxpenalty = 5000\n').restart, ['sink:g1']);
  assert.deepEqual(plan(BASE + 'a1.sources.r2.batchSize = 7\n').restart, ['source:r2']);
  assert.deepEqual(plan(BASE + 'a1.sources.r1.interceptors = i1\na1.sources.r1.interceptors.i1.type = host\n').restart, ['source:r1']);
});

test('a channel change restarts the channel and its neighbours, not the other flow', () => {
  assert.deepEqual(plan(BASE + 'a1.channels.c2.capacity = 5000\n'), { stop: [], start: [], restart: ['channel:c2', 'sink:g1', 'source:r2'] });
});

test('added and removed components start and stop; a sink moving into a group replaces its implicit group', () => {
  const added = BASE.replace('a1.sinks = k1 k2 k3', 'a1.sinks = k1 k2 k3 k4') + 'a1.sinks.k4.type = null\na1.sinks.k4.channel = c1\n';
  assert.deepEqual(plan(added), { stop: [], start: ['sink:k4'], restart: [] });
  const removed = BASE.replace('a1.sources = r1 r2', 'a1.sources = r2');
  assert.deepEqual(plan(removed), { stop: ['source:r1'], start: [], restart: [] });
  const grouped = BASE.replace('a1.sinkgroups = g1', 'a1.sinkgroups = g1 g0') + 'a1.sinkgroups.g0.sinks = k1\n';
  assert.deepEqual(plan(grouped), { stop: ['sink:k1'], start: ['sink:g0'], restart: [] });
});

test('rebinding a source to another channel restarts that source only', () => {
  assert.deepEqual(plan(BASE.replace('a1.sources.r1.channels = c1', 'a1.sources.r1.channels = c2')).restart, ['source:r1']);
});
