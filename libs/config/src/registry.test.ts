import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SluiceError } from '@sluice/core';
import { channelKeys } from './channel-keys.js';
import { createRegistry } from './registry.js';
import type { ChannelFactory, KeySpecs, SinkFactory } from './spec.js';
import { fakeFactories, fakeLoggerSink, fakeMemoryChannel, notInConfigTests } from './test-support/fake-factories.js';

function channel(type: string, aliases: readonly string[], keys: KeySpecs = {}): ChannelFactory {
  return { kind: 'channel', type, aliases, doc: '', durability: 'volatile', keys: { ...channelKeys({ capacity: 1, transactionCapacity: 1 }), ...keys }, create: notInConfigTests };
}

describe('createRegistry', () => {
  const registry = createRegistry(fakeFactories);

  it('finds a short type in any case', () => {
    assert.equal(registry.find('channel', 'memory'), fakeMemoryChannel);
    assert.equal(registry.find('channel', 'MEMORY'), fakeMemoryChannel);
    assert.equal(registry.find('sink', 'Logger'), fakeLoggerSink);
  });

  it('finds an FQCN alias, exactly', () => {
    assert.equal(registry.find('channel', 'org.apache.flume.channel.MemoryChannel'), fakeMemoryChannel);
    assert.equal(registry.find('channel', 'org.apache.flume.channel.memorychannel'), undefined);
  });

  it('looks types up within their kind only', () => {
    assert.equal(registry.find('source', 'memory'), undefined);
  });

  it('explains an unknown type with the known types of that kind', () => {
    const message = registry.unknownTypeMessage('channel', 'memroy');
    assert.match(message, /unknown channel type "memroy"/);
    assert.match(message, /did you mean "memory"/);
    assert.match(message, /known channel types: memory/);
    assert.throws(
      () => registry.get('sink', 'hdfs'),
      (err: unknown) => err instanceof SluiceError && err.code === 'SLUICE_ERR_CONFIG' && /known sink types: logger, file_roll/.test(err.message),
    );
  });

  it('lists known types in registration order', () => {
    assert.deepEqual(registry.knownTypes('source'), ['seq', 'exec', 'netcat']);
    assert.deepEqual(registry.knownTypes('processor'), ['default', 'failover']);
  });

  it('refuses a type registered twice in one kind, case-insensitively', () => {
    const again = channel('Memory', []);
    assert.throws(() => createRegistry([fakeMemoryChannel, again]), /channel type Memory is registered twice/);
  });

  it('refuses an alias registered twice in one kind', () => {
    const other = channel('other', fakeMemoryChannel.aliases);
    assert.throws(() => createRegistry([fakeMemoryChannel, other]), /alias org.apache.flume.channel.MemoryChannel/);
  });

  it('allows the same type name in different kinds', () => {
    const memorySink: SinkFactory = { kind: 'sink', type: 'memory', aliases: [], doc: '', keys: {}, create: notInConfigTests };
    assert.doesNotThrow(() => createRegistry([fakeMemoryChannel, memorySink]));
  });

  it('refuses a spec whose default fails its own format', () => {
    const bad = channel('bad', [], { capacity: { format: 'int', default: 0, doc: '', min: 1 } });
    assert.throws(() => createRegistry([bad]), /key capacity: default 0 is not an integer of at least 1/);
    const badEnum = channel('bad', [], { mode: { format: ['a', 'b'], default: 'c', doc: '' } });
    assert.throws(() => createRegistry([badEnum]), /default "c"/);
  });
});
