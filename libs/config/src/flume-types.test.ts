import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FLUME_TYPES_NOT_IMPLEMENTED, findFlumeTypeNotImplemented } from './flume-types.js';
import { loadAgentConfig } from './load.js';
import { createRegistry } from './registry.js';
import { fakeFactories } from './test-support/fake-factories.js';

const registry = createRegistry(fakeFactories);

function typeError(kind: 'source' | 'channel' | 'sink' | 'interceptor' | 'selector', type: string) {
  const lines = [
    'a1.sources = r1',
    'a1.channels = c1',
    'a1.sinks = k1',
    `a1.sources.r1.type = ${kind === 'source' ? type : 'seq'}`,
    'a1.sources.r1.channels = c1',
    ...(kind === 'interceptor' ? ['a1.sources.r1.interceptors = i1', `a1.sources.r1.interceptors.i1.type = ${type}`] : []),
    ...(kind === 'selector' ? [`a1.sources.r1.selector.type = ${type}`] : []),
    `a1.channels.c1.type = ${kind === 'channel' ? type : 'memory'}`,
    `a1.sinks.k1.type = ${kind === 'sink' ? type : 'logger'}`,
    'a1.sinks.k1.channel = c1',
  ];
  const text = lines.join('\n');
  const { diagnostics, topology } = loadAgentConfig({ file: 'flume.properties', agent: 'a1', registry, text });
  assert.equal(topology, undefined);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  assert.equal(errors.length, 1, errors.map((e) => e.message).join('\n'));
  const line = lines.findIndex((l) => l.endsWith(`.type = ${type}`)) + 1;
  return { ...errors[0]!, expectedLine: line };
}

describe('Flume types Sluice does not implement', () => {
  const named: [Parameters<typeof typeError>[0], string][] = [
    ['source', 'TAILDIR'],
    ['source', 'spooldir'],
    ['source', 'jms'],
    ['source', 'org.apache.flume.source.taildir.TaildirSource'],
    ['source', 'org.apache.flume.source.kafka.KafkaSource'],
    ['sink', 'hdfs'],
    ['sink', 'hive'],
    ['sink', 'hbase'],
    ['sink', 'hbase2'],
    ['sink', 'elasticsearch'],
    ['sink', 'org.apache.flume.sink.hdfs.HDFSEventSink'],
    ['sink', 'org.apache.flume.sink.kafka.KafkaSink'],
    ['channel', 'jdbc'],
    ['channel', 'SPILLABLEMEMORY'],
    ['channel', 'org.apache.flume.channel.kafka.KafkaChannel'],
    ['selector', 'load_balancing'],
    ['interceptor', 'org.apache.flume.sink.solr.morphline.MorphlineInterceptor$Builder'],
  ];
  for (const [kind, type] of named) {
    it(`${kind} type ${type} is reported as not implemented yet, at its type line`, () => {
      const e = typeError(kind, type);
      assert.match(e.message, new RegExp(`type "${type.replace(/\$/g, '\\$')}" is a Flume type not implemented by Sluice yet`));
      assert.doesNotMatch(e.message, /unknown/);
      assert.equal(e.file, 'flume.properties');
      assert.equal(e.line, e.expectedLine);
    });
  }

  it('a type that is not Flume’s stays "unknown", with a suggestion', () => {
    const e = typeError('sink', 'hdsf');
    assert.match(e.message, /unknown sink type "hdsf"/);
  });

  it('class names match exactly, short names in any case, and only within their kind', () => {
    assert.ok(findFlumeTypeNotImplemented('sink', 'HDFS'));
    assert.equal(findFlumeTypeNotImplemented('sink', 'org.apache.flume.sink.hdfs.hdfseventsink'), undefined);
    assert.equal(findFlumeTypeNotImplemented('channel', 'hdfs'), undefined);
  });

  it('lists each short name and class name once per kind', () => {
    const keys = FLUME_TYPES_NOT_IMPLEMENTED.flatMap((f) => [`${f.kind}:${f.className}`, ...(f.type ? [`${f.kind}:${f.type}`] : [])]);
    assert.equal(new Set(keys).size, keys.length);
    for (const f of FLUME_TYPES_NOT_IMPLEMENTED) if (f.type) assert.equal(f.type, f.type.toLowerCase());
  });
});
