import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SluiceError } from '@sluice/core';
import type { Diagnostic } from './diagnostic.js';
import { loadAgentConfig, topologyOrThrow } from './load.js';
import { createRegistry } from './registry.js';
import { fakeFactories } from './test-support/fake-factories.js';

const registry = createRegistry(fakeFactories);
const FILE = 'agent.properties';

function load(text: string, agent = 'a1', strict = false) {
  return loadAgentConfig({ file: FILE, agent, registry, strict, text });
}

/** The 1-based line of the only line of `text` that contains `fragment`. */
function lineOf(text: string, fragment: string): number {
  const lines = text.split('\n');
  const found = lines.flatMap((l, i) => (l.includes(fragment) ? [i + 1] : []));
  assert.equal(found.length, 1, `fragment ${JSON.stringify(fragment)} must be on exactly one line`);
  return found[0]!;
}

function errors(d: readonly Diagnostic[]) {
  return d.filter((x) => x.severity === 'error');
}
function warnings(d: readonly Diagnostic[]) {
  return d.filter((x) => x.severity === 'warning');
}

/** Asserts exactly one diagnostic of `severity` matches `pattern`, and that it is on `line`. */
function expectOne(d: readonly Diagnostic[], severity: Diagnostic['severity'], pattern: RegExp, line: number): void {
  const hits = d.filter((x) => x.severity === severity && pattern.test(x.message));
  assert.equal(hits.length, 1, `expected one ${severity} matching ${pattern}, got:\n${d.map((x) => `${x.line}: ${x.severity}: ${x.message}`).join('\n')}`);
  assert.equal(hits[0]!.line, line, `line of ${pattern}`);
  assert.equal(hits[0]!.file, FILE);
}

const REALISTIC = `# A realistic agent: two sources, two channels, a failover group
agent1.sources = tail net
agent1.channels = mem1 mem2
agent1.sinks = log roll spare
agent1.sinkgroups = g1

agent1.sources.tail.type = exec
agent1.sources.tail.command = tail -F /var/log/app.log
agent1.sources.tail.batchSize = 50
agent1.sources.tail.channels = mem1 mem2
agent1.sources.tail.selector.type = replicating
agent1.sources.tail.selector.optional = mem2
agent1.sources.tail.interceptors = ts st
agent1.sources.tail.interceptors.ts.type = org.apache.flume.interceptor.TimestampInterceptor$Builder
agent1.sources.tail.interceptors.st.type = static
agent1.sources.tail.interceptors.st.key = datacenter
agent1.sources.tail.interceptors.st.value = NYC_01

agent1.sources.net.type = netcat
agent1.sources.net.bind = 127.0.0.1
agent1.sources.net.port = 44444
agent1.sources.net.channels = mem1

agent1.channels.mem1.type = memory
agent1.channels.mem1.capacity = 10000
agent1.channels.mem1.transactionCapacity = 1000
agent1.channels.mem2.type = MEMORY

agent1.sinks.log.type = logger
agent1.sinks.log.channel = mem1
agent1.sinks.roll.type = file_roll
agent1.sinks.roll.channel = mem1
agent1.sinks.roll.sink.directory = /var/spool/out
agent1.sinks.roll.sink.pathManager.prefix = app-
agent1.sinks.spare.type = logger
agent1.sinks.spare.channel = mem2

agent1.sinkgroups.g1.sinks = roll log
agent1.sinkgroups.g1.processor.type = failover
agent1.sinkgroups.g1.processor.priority.roll = 10
agent1.sinkgroups.g1.processor.priority.log = 5
agent1.sinkgroups.g1.processor.maxpenalty = 10000

# another agent in the same file is none of agent1's business
other.sources = x
other.sources.x.type = bogus
other.sources.x.type = bogus-again
`;

describe('loadAgentConfig: a realistic Flume configuration', () => {
  const result = load(REALISTIC, 'agent1');

  it('has no diagnostics, and ignores the other agent', () => {
    assert.deepEqual(result.diagnostics, []);
    assert.ok(result.topology);
  });

  it('resolves sources in list order, with channels, selector and interceptors', () => {
    const t = result.topology!;
    assert.equal(t.agent, 'agent1');
    assert.equal(t.file, FILE);
    assert.deepEqual(
      t.sources.map((s) => [s.name, s.type, s.line, s.channels]),
      [
        ['tail', 'exec', lineOf(REALISTIC, 'tail.type'), ['mem1', 'mem2']],
        ['net', 'netcat', lineOf(REALISTIC, 'net.type'), ['mem1']],
      ],
    );
    const tail = t.sources[0]!;
    assert.deepEqual(tail.config, {
      command: 'tail -F /var/log/app.log',
      shell: '',
      restart: false,
      restartThrottle: 10000,
      logStdErr: false,
      batchSize: 50,
      batchTimeout: 3000,
      charset: 'UTF-8',
      maxLineLength: 16777216,
    });
    assert.deepEqual(tail.selector, { name: 'tail', type: 'replicating', config: { optional: ['mem2'] }, line: lineOf(REALISTIC, 'selector.type') });
    assert.deepEqual(tail.interceptors, [
      { name: 'ts', type: 'timestamp', config: { headerName: 'timestamp', preserveExisting: false }, line: lineOf(REALISTIC, 'ts.type') },
      { name: 'st', type: 'static', config: { key: 'datacenter', value: 'NYC_01', preserveExisting: true }, line: lineOf(REALISTIC, 'st.type') },
    ]);
    assert.deepEqual(t.sources[1]!.config, {
      bind: '127.0.0.1',
      port: 44444,
      'max-line-length': 512,
      'ack-every-event': true,
      encoding: 'utf-8',
      maxConnections: 1000,
      batchSize: 100,
    });
    assert.deepEqual(t.sources[1]!.interceptors, []);
  });

  it('resolves channels with defaults and the canonical type spelling', () => {
    assert.deepEqual(result.topology!.channels, [
      { name: 'mem1', type: 'memory', durability: 'volatile', config: { capacity: 10000, transactionCapacity: 1000, 'keep-alive': 3, byteCapacity: 0, byteCapacityBufferPercentage: 20 }, line: lineOf(REALISTIC, 'mem1.type') },
      { name: 'mem2', type: 'memory', durability: 'volatile', config: { capacity: 100, transactionCapacity: 100, 'keep-alive': 3, byteCapacity: 0, byteCapacityBufferPercentage: 20 }, line: lineOf(REALISTIC, 'mem2.type') },
    ]);
  });

  it('keeps dotted sink keys next to their dotted children', () => {
    const roll = result.topology!.sinks.find((s) => s.name === 'roll')!;
    assert.equal(roll.channel, 'mem1');
    assert.deepEqual(roll.config, {
      'sink.directory': '/var/spool/out',
      'sink.rollInterval': 30,
      'sink.batchSize': 100,
      'sink.pathManager': 'default',
      'sink.pathManager.prefix': 'app-',
      'sink.pathManager.extension': '',
      'sink.serializer': 'TEXT',
      'sink.serializer.appendNewline': true,
    });
  });

  it('puts every sink in exactly one group, ungrouped sinks in an implicit default group', () => {
    const { groups, sinks } = result.topology!;
    assert.deepEqual(
      sinks.map((s) => s.name),
      ['log', 'roll', 'spare'],
    );
    assert.deepEqual(groups, [
      {
        name: 'g1',
        sinks: ['roll', 'log'],
        processor: { name: 'g1', type: 'failover', config: { maxpenalty: 10000, 'priority.roll': 10, 'priority.log': 5 }, line: lineOf(REALISTIC, 'processor.type') },
        implicit: false,
        line: lineOf(REALISTIC, 'g1.sinks'),
      },
      {
        name: 'spare',
        sinks: ['spare'],
        processor: { name: 'spare', type: 'default', config: {}, line: lineOf(REALISTIC, 'spare.type') },
        implicit: true,
        line: lineOf(REALISTIC, 'spare.type'),
      },
    ]);
    const all = groups.flatMap((g) => g.sinks).sort();
    assert.deepEqual(all, ['log', 'roll', 'spare']);
  });
});

const THREE_MISTAKES = `a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = seq
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 1000x
a1.channels.c1.transactioncapacity = 100
a1.sinks.k1.type = logger
a1.sinks.k1.channel = c2
`;

describe('loadAgentConfig: the three mistakes', () => {
  it('reports exactly 2 errors and 1 warning, each at its line, and no topology', () => {
    const r = load(THREE_MISTAKES);
    assert.equal(r.topology, undefined);
    assert.equal(errors(r.diagnostics).length, 2, JSON.stringify(r.diagnostics));
    assert.equal(warnings(r.diagnostics).length, 1, JSON.stringify(r.diagnostics));
    expectOne(r.diagnostics, 'error', /a1\.channels\.c1\.capacity: invalid value "1000x", expected an integer/, lineOf(THREE_MISTAKES, '1000x'));
    expectOne(r.diagnostics, 'error', /a1\.sinks\.k1\.channel: channel "c2" is not defined \(a1\.channels = c1\)/, lineOf(THREE_MISTAKES, 'channel = c2'));
    expectOne(r.diagnostics, 'warning', /transactioncapacity: unknown key .* did you mean "transactionCapacity"\?/, lineOf(THREE_MISTAKES, 'transactioncapacity'));
  });

  const typoOnly = THREE_MISTAKES.replace('1000x', '1000').replace('channel = c2', 'channel = c1');

  it('the typo alone is only a warning, and the topology is returned', () => {
    const r = load(typoOnly);
    assert.equal(errors(r.diagnostics).length, 0);
    expectOne(r.diagnostics, 'warning', /did you mean "transactionCapacity"/, lineOf(typoOnly, 'transactioncapacity'));
    assert.ok(r.topology);
    assert.equal(r.topology.channels[0]!.config['capacity'], 1000);
  });

  it('with strict, the typo is an error and there is no topology', () => {
    const r = load(typoOnly, 'a1', true);
    assert.equal(r.diagnostics.length, 1);
    expectOne(r.diagnostics, 'error', /did you mean "transactionCapacity"/, lineOf(typoOnly, 'transactioncapacity'));
    assert.equal(r.topology, undefined);
  });
});

const MINIMAL = `a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = seq
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.sinks.k1.type = logger
a1.sinks.k1.channel = c1
`;

describe('loadAgentConfig: the agent name', () => {
  it('a wrong -n is one error listing the agents in the file', () => {
    const r = load(`${MINIMAL}b2.channels = x\n`, 'agent');
    assert.equal(r.topology, undefined);
    assert.equal(r.diagnostics.length, 1);
    assert.equal(r.diagnostics[0]!.severity, 'error');
    assert.equal(r.diagnostics[0]!.line, 0);
    assert.match(r.diagnostics[0]!.message, /no configuration for agent "agent".*agents found: a1, b2/);
  });

  it('a file with no agent property at all says so', () => {
    const r = load('# nothing here\n', 'a1');
    assert.equal(r.diagnostics.length, 1);
    assert.match(r.diagnostics[0]!.message, /no configuration for agent "a1".*no agent properties/);
  });

  it('an agent with no channels, sources or sinks lists are errors', () => {
    const text = 'a1.channels.c1.type = memory\n';
    const r = load(text);
    expectOne(r.diagnostics, 'error', /agent a1 has no channels/, 1);
    expectOne(r.diagnostics, 'error', /agent a1 has no sources and no sinks/, 1);
    expectOne(r.diagnostics, 'warning', /channel c1 is defined but not listed in a1\.channels/, 1);
  });
});

describe('loadAgentConfig: types', () => {
  it('accepts a Flume class name as an alias of the short type', () => {
    const text = MINIMAL.replace('c1.type = memory', 'c1.type = org.apache.flume.channel.MemoryChannel').replace(
      'r1.type = seq',
      'r1.type = org.apache.flume.source.SequenceGeneratorSource',
    );
    const r = load(text);
    assert.deepEqual(r.diagnostics, []);
    assert.equal(r.topology!.channels[0]!.type, 'memory');
    assert.equal(r.topology!.sources[0]!.type, 'seq');
  });

  it('matches short types case-insensitively but aliases exactly', () => {
    const text = MINIMAL.replace('c1.type = memory', 'c1.type = org.apache.flume.channel.memorychannel');
    expectOne(load(text).diagnostics, 'error', /unknown channel type "org\.apache\.flume\.channel\.memorychannel".*known channel types: memory/, 6);
  });

  it('reports an unknown type with a suggestion and the known types', () => {
    const r = load(MINIMAL.replace('k1.type = logger', 'k1.type = loger'));
    expectOne(r.diagnostics, 'error', /a1\.sinks\.k1\.type: unknown sink type "loger"; did you mean "logger"\? \(known sink types: logger, file_roll\)/, 7);
  });

  it('reports a component with properties but no type', () => {
    const r = load(MINIMAL.replace('a1.channels.c1.type = memory', 'a1.channels.c1.capacity = 10'));
    expectOne(r.diagnostics, 'error', /a1\.channels\.c1\.type: missing/, 6);
  });

  it('reports a listed component with no properties at all', () => {
    const r = load(MINIMAL.replace('a1.sinks = k1', 'a1.sinks = k1 k2'));
    expectOne(r.diagnostics, 'error', /a1\.sinks: sink k2 is listed but has no properties/, 3);
  });
});

describe('loadAgentConfig: bindings', () => {
  it('a source with no channels', () => {
    const r = load(MINIMAL.replace('a1.sources.r1.channels = c1\n', ''));
    expectOne(r.diagnostics, 'error', /a1\.sources\.r1\.channels: missing/, 4);
  });

  it('a source bound to an unknown channel, and to a defined but unlisted one', () => {
    const text = `${MINIMAL.replace('r1.channels = c1', 'r1.channels = c1 c9 c3')}a1.channels.c3.type = memory\n`;
    const r = load(text);
    expectOne(r.diagnostics, 'error', /channel "c9" is not defined \(a1\.channels = c1\)/, 5);
    expectOne(r.diagnostics, 'error', /channel "c3" is not defined \(it has properties but is not listed in a1\.channels\)/, 5);
    expectOne(r.diagnostics, 'warning', /channel c3 is defined but not listed/, 9);
  });

  it('warns about a listed channel that nothing uses', () => {
    const text = `${MINIMAL.replace('a1.channels = c1', 'a1.channels = c1 c2')}a1.channels.c2.type = memory\n`;
    const r = load(text);
    assert.equal(r.diagnostics.length, 1);
    expectOne(r.diagnostics, 'warning', /a1\.channels\.c2: channel c2 is not used by any source or sink/, 9);
    assert.ok(r.topology);
  });

  it('a sink with no channel, or with two', () => {
    expectOne(load(MINIMAL.replace('a1.sinks.k1.channel = c1\n', '')).diagnostics, 'error', /a1\.sinks\.k1\.channel: missing/, 7);
    expectOne(load(MINIMAL.replace('k1.channel = c1', 'k1.channel = c1 c1')).diagnostics, 'error', /exactly one channel/, 8);
  });

  it('suggests the right structural key: channel on a source, channels on a sink', () => {
    const text = MINIMAL.replace('r1.channels = c1', 'r1.channel = c1').replace('k1.channel = c1', 'k1.channels = c1');
    const r = load(text);
    expectOne(r.diagnostics, 'warning', /a1\.sources\.r1\.channel: unknown key .*did you mean "channels"/, 5);
    expectOne(r.diagnostics, 'warning', /a1\.sinks\.k1\.channels: unknown key .*did you mean "channel"/, 8);
    expectOne(r.diagnostics, 'error', /a1\.sources\.r1\.channels: missing/, 4);
    expectOne(r.diagnostics, 'error', /a1\.sinks\.k1\.channel: missing/, 7);
  });
});

const GROUPS = `a1.sources = r1
a1.channels = c1
a1.sinks = k1 k2 k3
a1.sinkgroups = g1 g2
a1.sources.r1.type = seq
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.sinks.k1.type = logger
a1.sinks.k1.channel = c1
a1.sinks.k2.type = logger
a1.sinks.k2.channel = c1
a1.sinks.k3.type = logger
a1.sinks.k3.channel = c1
a1.sinkgroups.g1.sinks = k1 k2
a1.sinkgroups.g1.processor.type = failover
a1.sinkgroups.g1.processor.maxpenality = 5000
a1.sinkgroups.g2.sinks = k2 k9
`;

describe('loadAgentConfig: sink groups', () => {
  it('reports an unknown sink, a sink in two groups and a misspelled processor key', () => {
    const r = load(GROUPS);
    expectOne(r.diagnostics, 'error', /a1\.sinkgroups\.g2\.sinks: sink "k9" is not defined/, 17);
    expectOne(r.diagnostics, 'error', /sink k2 is already in sink group g1 \(line 14\)/, 17);
    expectOne(r.diagnostics, 'warning', /a1\.sinkgroups\.g1\.processor\.maxpenality: unknown key .*did you mean "maxpenalty"/, 16);
    assert.equal(errors(r.diagnostics).length, 2);
  });

  it('a group with no sinks', () => {
    const r = load(GROUPS.replace('a1.sinkgroups.g2.sinks = k2 k9', 'a1.sinkgroups.g2.processor.type = default'));
    expectOne(r.diagnostics, 'error', /a1\.sinkgroups\.g2\.sinks: missing/, 17);
  });

  it('defaults the processor to default, and makes implicit groups for the rest', () => {
    const text = GROUPS.replace('a1.sinkgroups = g1 g2', 'a1.sinkgroups = g2').replace('g2.sinks = k2 k9', 'g2.sinks = k3 k1');
    const r = load(text);
    assert.deepEqual(errors(r.diagnostics), []);
    assert.deepEqual(
      r.topology!.groups.map((g) => [g.name, g.processor.type, g.sinks, g.implicit]),
      [
        ['g2', 'default', ['k3', 'k1'], false],
        ['k2', 'default', ['k2'], true],
      ],
    );
    assert.equal(r.topology!.groups[0]!.processor.line, 17);
    expectOne(r.diagnostics, 'warning', /sink group g1 is defined but not listed/, 14);
  });

  it('refuses a group named like an ungrouped sink (its implicit group takes the name)', () => {
    const text = GROUPS.replace('a1.sinkgroups = g1 g2', 'a1.sinkgroups = k3').replaceAll('sinkgroups.g2', 'sinkgroups.k3').replace('k3.sinks = k2 k9', 'k3.sinks = k1 k2');
    expectOne(load(text).diagnostics, 'error', /this group has the name of sink k3/, 17);
  });

  it('keeps per-sink dynamic keys under their full name', () => {
    const text = GROUPS.replace('a1.sinkgroups = g1 g2', 'a1.sinkgroups = g1').replace('maxpenality', 'priority.k1');
    const r = load(text);
    assert.deepEqual(errors(r.diagnostics), []);
    assert.deepEqual(r.topology!.groups[0]!.processor.config, { maxpenalty: 30000, 'priority.k1': 5000 });
  });
});

describe('loadAgentConfig: values and checks', () => {
  it('reports every bad value with its key, value and what was expected, not only the first', () => {
    const text = `${MINIMAL}a1.channels.c1.capacity = 1.5\na1.channels.c1.keep-alive = yes\na1.sources.r1.batchSize = 0\n`;
    const r = load(text);
    expectOne(r.diagnostics, 'error', /a1\.channels\.c1\.capacity: invalid value "1\.5", expected an integer of at least 1/, 9);
    expectOne(r.diagnostics, 'error', /a1\.channels\.c1\.keep-alive: invalid value "yes", expected an integer/, 10);
    expectOne(r.diagnostics, 'error', /a1\.sources\.r1\.batchSize: invalid value "0", expected an integer of at least 1/, 11);
    assert.equal(errors(r.diagnostics).length, 3);
  });

  it('reports a missing required key at the type line', () => {
    const r = load(MINIMAL.replace('r1.type = seq', 'r1.type = exec'));
    expectOne(r.diagnostics, 'error', /a1\.sources\.r1\.command: required by the exec source but missing/, 4);
  });

  it('reports the spec check messages', () => {
    const r = load(`${MINIMAL}a1.channels.c1.capacity = 10\na1.channels.c1.transactionCapacity = 20\n`);
    expectOne(r.diagnostics, 'error', /a1\.channels\.c1: transactionCapacity \(20\) must not exceed capacity \(10\)/, 6);
  });

  it('validates selectors and interceptors against their own specs', () => {
    const text = `${MINIMAL.replace('a1.sources.r1.channels = c1', 'a1.sources.r1.channels = c1\na1.sources.r1.interceptors = i1 i2\na1.sources.r1.selector.optinal = c1')}a1.sources.r1.interceptors.i1.type = timestamp
a1.sources.r1.interceptors.i1.preserveExisting = maybe
a1.sources.r1.interceptors.i2.type = org.apache.flume.sink.solr.morphline.MorphlineInterceptor$Builder
a1.sources.r1.interceptors.i3.type = static
`;
    const r = load(text);
    expectOne(r.diagnostics, 'warning', /a1\.sources\.r1\.selector\.optinal: unknown key for the replicating channel selector; did you mean "optional"/, lineOf(text, 'optinal'));
    expectOne(r.diagnostics, 'error', /interceptors\.i1\.preserveExisting: invalid value "maybe", expected true or false/, lineOf(text, 'maybe'));
    expectOne(r.diagnostics, 'error', /interceptors\.i2\.type: interceptor type "org\.apache\.flume\.sink\.solr\.morphline\.MorphlineInterceptor\$Builder" is a Flume type not implemented by Sluice yet/, lineOf(text, 'MorphlineInterceptor'));
    expectOne(r.diagnostics, 'warning', /interceptor i3 is defined but not listed/, lineOf(text, 'i3.type'));
  });

  it('refuses a selector.optional that names a channel the source does not feed', () => {
    const text = `${MINIMAL}a1.sources.r1.selector.optional = c1 c7\n`;
    const r = load(text);
    expectOne(r.diagnostics, 'error', /selector\.optional: c7 is not a channel of this source \(its channels: .*\)/, 9);
    assert.equal(r.topology, undefined);
  });

  it('uses another selector when asked, with its dynamic keys', () => {
    const text = `${MINIMAL}a1.sources.r1.selector.type = multiplexing\na1.sources.r1.selector.header = state\na1.sources.r1.selector.mapping.CA = c1\n`;
    const r = load(text);
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual(r.topology!.sources[0]!.selector, {
      name: 'r1',
      type: 'multiplexing',
      config: { header: 'state', default: [], 'mapping.CA': ['c1'] },
      line: 9,
    });
  });
});

describe('loadAgentConfig: batch sizes against transactionCapacity', () => {
  it('a source batchSize greater than a bound channel transactionCapacity is an error at the batchSize line', () => {
    const text = `${MINIMAL}a1.channels.c1.transactionCapacity = 10\na1.sources.r1.batchSize = 11\n`;
    const r = load(text);
    expectOne(r.diagnostics, 'error', /a1\.sources\.r1\.batchSize: 11 is greater than the transactionCapacity 10 of channel c1 \(line 9\)/, 10);
    assert.equal(r.topology, undefined);
  });

  it('an equal batchSize is fine', () => {
    const r = load(`${MINIMAL}a1.channels.c1.transactionCapacity = 10\na1.sources.r1.batchSize = 10\na1.sinks.k1.batchSize = 10\n`);
    assert.deepEqual(r.diagnostics, []);
  });

  it('a sink batch size counts too, even when it is the default', () => {
    const text = MINIMAL.replace('k1.type = logger', 'k1.type = file_roll\na1.sinks.k1.sink.directory = /tmp/out') + 'a1.channels.c1.transactionCapacity = 50\n';
    const r = load(text);
    expectOne(r.diagnostics, 'error', /a1\.sinks\.k1\.sink\.batchSize: 100 \(the default\) is greater than the transactionCapacity 50 of channel c1/, 7);
  });
});

describe('loadAgentConfig: resource clashes', () => {
  const TWO_NETCATS = `a1.sources = n1 n2
a1.channels = c1
a1.sinks = k1
a1.channels.c1.type = memory
a1.sinks.k1.type = logger
a1.sinks.k1.channel = c1
a1.sources.n1.type = netcat
a1.sources.n1.bind = 127.0.0.1
a1.sources.n1.port = 44444
a1.sources.n1.channels = c1
a1.sources.n2.type = netcat
a1.sources.n2.bind = 127.0.0.1
a1.sources.n2.port = 44444
a1.sources.n2.channels = c1
`;

  it('two sources on the same address and port', () => {
    const r = load(TWO_NETCATS);
    expectOne(r.diagnostics, 'error', /a1\.sources\.n2\.port: source n2 listens on 127\.0\.0\.1:44444, which source n1 \(line 9\) already uses/, 13);
  });

  it('a wildcard address clashes with any address on the same port', () => {
    expectOne(load(TWO_NETCATS.replace('n2.bind = 127.0.0.1', 'n2.bind = 0.0.0.0')).diagnostics, 'error', /listens on 0\.0\.0\.0:44444/, 13);
  });

  it('different ports or different addresses do not clash', () => {
    assert.deepEqual(load(TWO_NETCATS.replace('n2.port = 44444', 'n2.port = 44445')).diagnostics, []);
    assert.deepEqual(load(TWO_NETCATS.replace('n2.bind = 127.0.0.1', 'n2.bind = 127.0.0.2')).diagnostics, []);
  });
});

describe('loadAgentConfig: the file', () => {
  it('reports the parser warnings of this agent only', () => {
    const text = `${MINIMAL}a1.channels.c1.capacity = 100\na1.channels.c1.capacity = 200\nb1.x = 1\nb1.x = 2\na1.sinks.k1.maxBytesToLog =\n`;
    const r = load(text);
    expectOne(r.diagnostics, 'warning', /duplicate key \(also on line 9\)/, 10);
    expectOne(r.diagnostics, 'warning', /a1\.sinks\.k1\.maxBytesToLog: empty value ignored/, 13);
    assert.equal(r.diagnostics.length, 2);
    assert.equal(r.topology!.channels[0]!.config['capacity'], 200);
  });

  it('reports an unknown agent property with a suggestion', () => {
    const r = load(`${MINIMAL}a1.sink.k2.type = logger\n`);
    expectOne(r.diagnostics, 'warning', /a1\.sink\.k2\.type: unknown property for agent a1; did you mean "a1\.sinks\.k2\.type"/, 9);
  });

  it('reads the file from disk, and reports an unreadable one as a single error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-config-'));
    try {
      const path = join(dir, 'agent.properties');
      writeFileSync(path, MINIMAL);
      const r = loadAgentConfig({ file: path, agent: 'a1', registry });
      assert.deepEqual(r.diagnostics, []);
      assert.equal(topologyOrThrow(r).sources[0]!.name, 'r1');

      const missing = loadAgentConfig({ file: join(dir, 'nope.properties'), agent: 'a1', registry });
      assert.equal(missing.diagnostics.length, 1);
      assert.equal(missing.diagnostics[0]!.line, 0);
      assert.match(missing.diagnostics[0]!.message, /^SLUICE_ERR_CONFIG_READ: cannot read the configuration file \(ENOENT/);
      assert.throws(
        () => topologyOrThrow(missing),
        (err: unknown) => err instanceof SluiceError && err.code === 'SLUICE_ERR_CONFIG_READ',
      );
      const directory = loadAgentConfig({ file: dir, agent: 'a1', registry });
      assert.match(directory.diagnostics[0]!.message, /EISDIR/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('topologyOrThrow lists every problem in a SLUICE_ERR_CONFIG error', () => {
    assert.throws(
      () => topologyOrThrow(load(THREE_MISTAKES)),
      (err: unknown) =>
        err instanceof SluiceError &&
        err.code === 'SLUICE_ERR_CONFIG' &&
        err.message.split('\n').length === 3 &&
        err.message.includes('agent.properties:7: error:'),
    );
  });
});
