import assert from 'node:assert/strict';
import { test } from 'node:test';
import { flumeJson } from './flume-json.js';
import { FLUME_CHANNEL_ATTRIBUTES, FLUME_FILE_CHANNEL_ATTRIBUTES, FLUME_SINK_ATTRIBUTES, FLUME_SOURCE_ATTRIBUTES } from './flume-names.js';
import { agent, component, worker } from './test-fixtures.js';

test('every component entry has all of Flume\'s attributes of its group, as strings', () => {
  const json = flumeJson(agent());
  assert.deepEqual(Object.keys(json).sort(), ['CHANNEL.c1', 'SINK.k1', 'SOURCE.r1', 'WORKER.channel:c1', 'WORKER.sink:k1', 'WORKER.source:r1']);
  const expected: Record<string, readonly string[]> = {
    'CHANNEL.c1': FLUME_CHANNEL_ATTRIBUTES,
    'SINK.k1': FLUME_SINK_ATTRIBUTES,
    'SOURCE.r1': FLUME_SOURCE_ATTRIBUTES,
  };
  for (const [key, names] of Object.entries(expected)) {
    assert.deepEqual(Object.keys(json[key]!).sort(), [...names, 'Type', 'StartTime', 'StopTime'].sort(), key);
    for (const value of Object.values(json[key]!)) assert.equal(typeof value, 'string');
  }
  assert.deepEqual(json['CHANNEL.c1'], {
    ChannelSize: '5',
    ChannelCapacity: '40',
    ChannelFillPercentage: '12.5',
    EventPutAttemptCount: '25',
    EventPutSuccessCount: '25',
    EventTakeAttemptCount: '30',
    EventTakeSuccessCount: '20',
    Type: 'CHANNEL',
    StartTime: '1700000000100',
    StopTime: '0',
  });
  assert.equal(json['SINK.k1']!['ConnectionFailedCount'], '0', 'not maintained by the type: 0');
  assert.equal(json['SINK.k1']!['Type'], 'SINK');
  assert.equal(json['SOURCE.r1']!['OpenConnectionCount'], '1');
  assert.equal(json['SOURCE.r1']!['Type'], 'SOURCE');
});

test('a file channel has Flume\'s file channel extras; Sluice extras and processor entries are included', () => {
  const json = flumeJson(
    agent({
      components: [
        component({ key: 'CHANNEL.fc', type: 'file', values: { ChannelSize: 0, ChannelCapacity: 1000, Open: 1, FsyncCount: 12 } }),
        component({ key: 'SINK_PROCESSOR.g1', type: 'failover', values: { FailoverCount: 2 } }),
      ],
      workers: [],
    }),
  );
  const fc = json['CHANNEL.fc']!;
  for (const name of [...FLUME_CHANNEL_ATTRIBUTES, ...FLUME_FILE_CHANNEL_ATTRIBUTES]) assert.ok(name in fc, name);
  assert.equal(fc['Open'], '1');
  assert.equal(fc['CheckpointBackupWriteErrorCount'], '0');
  assert.equal(fc['FsyncCount'], '12');
  assert.equal(fc['ChannelFillPercentage'], '0.0');
  assert.deepEqual(json['SINK_PROCESSOR.g1'], { FailoverCount: '2', Type: 'SINK_PROCESSOR', StartTime: '1700000000100', StopTime: '0' });
  const memory = flumeJson(agent())['CHANNEL.c1']!;
  assert.ok(!('Open' in memory), 'a memory channel has no file channel attributes');
});

test('ChannelFillPercentage is computed from size and capacity and printed as a Java double', () => {
  const fill = (values: Record<string, number>) => flumeJson(agent({ workers: [], components: [component({ key: 'CHANNEL.c1', values })] }))['CHANNEL.c1']!['ChannelFillPercentage'];
  assert.equal(fill({ ChannelSize: 100, ChannelCapacity: 100, ChannelFillPercentage: 3 }), '100.0');
  assert.equal(fill({ ChannelSize: 1, ChannelCapacity: 2000 }), '0.05');
  assert.equal(fill({ ChannelSize: 1, ChannelCapacity: 200000 }), '5.0E-4');
  assert.equal(fill({}), '0.0', 'no report yet');
  assert.equal(fill({ ChannelCapacity: 0, ChannelFillPercentage: Number.MAX_VALUE }), '1.7976931348623157E308', 'as Flume for a capacity of 0');
});

test('a stopped component shows its StopTime', () => {
  const json = flumeJson(agent({ workers: [], components: [component({ key: 'SOURCE.r1', startTime: 10, stopTime: 20 })] }));
  assert.equal(json['SOURCE.r1']!['StartTime'], '10');
  assert.equal(json['SOURCE.r1']!['StopTime'], '20');
});

test('one WORKER entry per worker process, unknown numbers as "0"', () => {
  const json = flumeJson(
    agent({
      components: [],
      workers: [
        worker({ id: 'sink:g1', type: 'failover', pid: 77, restarts: 2, uptimeMs: 1500, rssBytes: 1234 }),
        worker({ id: 'source:r1', pid: null, state: 'failed', restarts: 20, uptimeMs: 0, rssBytes: null, failure: 'restarted 20 times in 600 s' }),
      ],
    }),
  );
  assert.deepEqual(json['WORKER.sink:g1'], {
    Type: 'WORKER',
    Kind: 'sink',
    ComponentType: 'failover',
    Pid: '77',
    State: 'running',
    Restarts: '2',
    StartTime: '1700000000000',
    UptimeMs: '1500',
    RssBytes: '1234',
    Failure: '',
  });
  const failed = json['WORKER.source:r1']!;
  assert.equal(failed['Pid'], '0');
  assert.equal(failed['RssBytes'], '0');
  assert.equal(failed['State'], 'failed');
  assert.equal(failed['Failure'], 'restarted 20 times in 600 s');
});
