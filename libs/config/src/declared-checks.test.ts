import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { channelKeys } from './channel-keys.js';
import type { Diagnostic } from './diagnostic.js';
import { loadAgentConfig } from './load.js';
import { createRegistry } from './registry.js';
import type { ChannelFactory, KeySpecs, SinkFactory, SourceFactory } from './spec.js';
import { fakeFactories, notInConfigTests } from './test-support/fake-factories.js';

/** Component types the config lib knows nothing about: what they need is only declared. */
const spoolKeys = { dir: { format: 'string', default: undefined, doc: 'Spool directory.' } } as const satisfies KeySpecs;
const spoolChannel: ChannelFactory<typeof spoolKeys & ReturnType<typeof channelKeys>> = {
  kind: 'channel',
  type: 'spool',
  aliases: [],
  doc: 'A channel in a directory.',
  durability: 'durable',
  keys: { ...channelKeys({ capacity: 1000, transactionCapacity: 100 }), ...spoolKeys },
  resources: (c) => [{ kind: 'directory', path: c.dir, key: 'dir' }],
  create: notInConfigTests,
};

const storeKeys = {
  'hdfs.path': { format: 'string', default: undefined, doc: 'Where files go.' },
  'hdfs.batchSize': { format: 'int', default: 100, min: 1, doc: 'Events per flush.' },
} as const satisfies KeySpecs;
const storeSink: SinkFactory<typeof storeKeys> = {
  kind: 'sink',
  type: 'store',
  aliases: [],
  doc: 'Writes files.',
  keys: storeKeys,
  batchSizeKey: 'hdfs.batchSize',
  resources: (c) => [{ kind: 'directory', path: c['hdfs.path'], key: 'hdfs.path' }],
  create: notInConfigTests,
};

const udpKeys = {
  host: { format: 'host', default: '0.0.0.0', doc: 'Address.' },
  port: { format: 'port', default: undefined, doc: 'Port.' },
} as const satisfies KeySpecs;
const udpSource: SourceFactory<typeof udpKeys> = {
  kind: 'source',
  type: 'udp',
  aliases: [],
  doc: 'Datagrams.',
  keys: udpKeys,
  resources: (c) => [{ kind: 'udp-port', host: c.host, port: c.port, key: 'port' }],
  create: notInConfigTests,
};

const registry = createRegistry([...fakeFactories, spoolChannel, storeSink, udpSource]);

function errorsOf(text: string): Diagnostic[] {
  return loadAgentConfig({ file: 'agent.properties', agent: 'a1', registry, text }).diagnostics.filter((d) => d.severity === 'error');
}

const BASE = `a1.sources = r1
a1.channels = c1 c2
a1.sinks = k1 k2
a1.sources.r1.type = seq
a1.sources.r1.channels = c1 c2
a1.channels.c1.type = spool
a1.channels.c1.dir = /var/spool/one
a1.channels.c2.type = spool
a1.channels.c2.dir = /var/spool/two
a1.sinks.k1.type = store
a1.sinks.k1.channel = c1
a1.sinks.k1.hdfs.path = /data/one
a1.sinks.k2.type = store
a1.sinks.k2.channel = c2
a1.sinks.k2.hdfs.path = /data/two
`;

describe('checks by declaration', () => {
  it('a configuration without clashes has no errors', () => {
    assert.deepEqual(errorsOf(BASE), []);
  });

  it('two channels on one directory: both lines in the message', () => {
    const errors = errorsOf(BASE.replace('c2.dir = /var/spool/two', 'c2.dir = /var/spool/one/'));
    assert.equal(errors.length, 1, JSON.stringify(errors));
    assert.equal(errors[0]!.line, 9);
    assert.match(errors[0]!.message, /^a1\.channels\.c2\.dir: channel c2 uses directory \/var\/spool\/one, which channel c1 \(line 7\) already uses/);
  });

  it('a sink and a channel on one directory clash, whatever the kinds', () => {
    const errors = errorsOf(BASE.replace('k2.hdfs.path = /data/two', 'k2.hdfs.path = /var/spool/two'));
    assert.equal(errors.length, 1, JSON.stringify(errors));
    assert.match(errors[0]!.message, /a1\.sinks\.k2\.hdfs\.path: sink k2 uses directory \/var\/spool\/two, which channel c2 \(line 9\) already uses/);
  });

  it('a declared batch size key is checked against the channel, whatever its spelling', () => {
    const errors = errorsOf(`${BASE}a1.sinks.k2.hdfs.batchSize = 101\n`);
    assert.equal(errors.length, 1, JSON.stringify(errors));
    assert.match(errors[0]!.message, /a1\.sinks\.k2\.hdfs\.batchSize: 101 is greater than the transactionCapacity 100 of channel c2/);
  });

  it('every channel gets the transactionCapacity check', () => {
    const errors = errorsOf(`${BASE}a1.channels.c1.capacity = 10\n`);
    assert.equal(errors.length, 1, JSON.stringify(errors));
    assert.match(errors[0]!.message, /transactionCapacity \(100\) must not exceed capacity \(10\)/);
  });

  it('UDP and TCP ports are different resources; two UDP sources on one port clash', () => {
    const two = (host: string, kind: string) =>
      `${BASE.replace('a1.sources = r1', 'a1.sources = r1 u1 u2')}a1.sources.u1.type = udp\na1.sources.u1.port = 5140\na1.sources.u1.channels = c1\n` +
      `a1.sources.u2.type = ${kind}\na1.sources.u2.${kind === 'udp' ? 'host' : 'bind'} = ${host}\na1.sources.u2.port = 5140\na1.sources.u2.channels = c1\n`;
    const clash = errorsOf(two('127.0.0.1', 'udp'));
    assert.equal(clash.length, 1, JSON.stringify(clash));
    assert.match(clash[0]!.message, /source u2 listens on 127\.0\.0\.1:5140\/udp, which source u1 \(line 17\) already uses \(0\.0\.0\.0:5140\/udp\)/);
    assert.deepEqual(errorsOf(two('127.0.0.1', 'netcat')), []);
  });
});

describe('registry checks of declarations', () => {
  it('refuses a channel type without the shared channel keys', () => {
    const bare: ChannelFactory = { ...spoolChannel, type: 'bare', keys: spoolKeys } as ChannelFactory;
    assert.throws(() => createRegistry([bare]), /channel type bare does not declare capacity, transactionCapacity, keep-alive/);
  });

  it('refuses a batchSizeKey that is not a key', () => {
    const wrong = { ...storeSink, type: 'wrong', batchSizeKey: 'batchSize' } as unknown as SinkFactory;
    assert.throws(() => createRegistry([wrong]), /batchSizeKey batchSize is not one of its keys/);
  });
});
