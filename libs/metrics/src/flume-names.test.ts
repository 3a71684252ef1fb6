import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FLUME_CHANNEL_ATTRIBUTES, FLUME_FILE_CHANNEL_ATTRIBUTES, FLUME_SOURCE_ATTRIBUTES, flumeAttributes } from './flume-names.js';

test('attributes per group: the common three everywhere, file channel extras only for type file', () => {
  assert.deepEqual(flumeAttributes('SINK_PROCESSOR', 'failover'), ['Type', 'StartTime', 'StopTime']);
  assert.equal(flumeAttributes('CHANNEL', 'memory').length, FLUME_CHANNEL_ATTRIBUTES.length + 3);
  assert.equal(flumeAttributes('CHANNEL', 'file').length, FLUME_CHANNEL_ATTRIBUTES.length + FLUME_FILE_CHANNEL_ATTRIBUTES.length + 3);
  assert.equal(flumeAttributes('SOURCE', 'file').length, FLUME_SOURCE_ATTRIBUTES.length + 3);
});
