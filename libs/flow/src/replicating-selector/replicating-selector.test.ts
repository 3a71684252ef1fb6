import { test } from 'node:test';
import assert from 'node:assert/strict';
import { replicatingSelector } from './replicating-selector.js';
import { configFor, events } from '../test-support.js';

const [event] = events({});

test('without optional, every bound channel is required', () => {
  const selector = replicatingSelector.create(configFor(replicatingSelector, {}), ['c1', 'c2']);
  assert.deepEqual(selector.required(event!), ['c1', 'c2']);
  assert.deepEqual(selector.optional(event!), []);
});

test('channels listed in optional are optional, the rest required, in binding order', () => {
  const selector = replicatingSelector.create(configFor(replicatingSelector, { optional: ['c3', 'c1', 'c3'] }), ['c1', 'c2', 'c3']);
  assert.deepEqual(selector.required(event!), ['c2']);
  assert.deepEqual(selector.optional(event!), ['c1', 'c3']);
});

test('optional naming a channel the source is not bound to is a config error', () => {
  assert.deepEqual(replicatingSelector.checkChannels!(configFor(replicatingSelector, { optional: ['c9', 'c2'] }), ['c1', 'c2']), [
    { key: 'optional', message: 'c9 is not a channel of this source (its channels: c1 c2)' },
  ]);
});
