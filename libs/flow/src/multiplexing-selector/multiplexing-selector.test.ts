import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SluiceEvent } from '@sluice/core';
import { configFor } from '../test-support.js';
import { multiplexingSelector } from './multiplexing-selector.js';

const CHANNELS = ['c1', 'c2', 'c3', 'c4'];
const on = (headers: Record<string, string>): SluiceEvent => ({ headers, body: Buffer.alloc(0) });

function selector(values: Record<string, unknown>) {
  return multiplexingSelector.create(configFor(multiplexingSelector, values), CHANNELS);
}

test('a mapped value goes to its required channels, one or several; other values to default', () => {
  const s = selector({ header: 'state', 'mapping.CA': ['c1'], 'mapping.NY': ['c2', 'c3'], default: ['c4'] });
  assert.deepEqual(s.required(on({ state: 'CA' })), ['c1']);
  assert.deepEqual(s.required(on({ state: 'NY' })), ['c2', 'c3']);
  assert.deepEqual(s.required(on({ state: 'TX' })), ['c4']);
  assert.deepEqual(s.optional(on({ state: 'NY' })), []);
  assert.equal(s.fixed, undefined, 'routing depends on the event');
});

test('a missing or blank header goes to default; the value is matched exactly (case matters)', () => {
  const s = selector({ header: 'state', 'mapping.CA': ['c1'], default: ['c4'] });
  assert.deepEqual(s.required(on({})), ['c4']);
  assert.deepEqual(s.required(on({ state: '  ' })), ['c4']);
  assert.deepEqual(s.required(on({ state: 'ca' })), ['c4']);
  assert.deepEqual(s.required(on({ other: 'CA' })), ['c4']);
});

test('a value with no mapping and no default has no required channel', () => {
  const s = selector({ header: 'state', 'mapping.CA': ['c1'] });
  assert.deepEqual(s.required(on({ state: 'TX' })), []);
  assert.deepEqual(s.required(on({})), []);
  assert.deepEqual(s.optional(on({ state: 'TX' })), []);
});

test('optional channels match the exact value with no fallback, and a required one stays required', () => {
  const s = selector({ header: 'state', 'mapping.CA': ['c1'], 'optional.CA': ['c1', 'c2'], 'optional.TX': ['c3'], default: ['c4'] });
  assert.deepEqual(s.required(on({ state: 'CA' })), ['c1']);
  assert.deepEqual(s.optional(on({ state: 'CA' })), ['c2']);
  assert.deepEqual(s.required(on({ state: 'TX' })), ['c4'], 'an optional mapping alone leaves the required channels at default');
  assert.deepEqual(s.optional(on({ state: 'TX' })), ['c3']);
  assert.deepEqual(s.optional(on({ state: 'NY' })), []);
  assert.deepEqual(s.optional(on({})), []);
});

test('the same value gets the same arrays (the runtime groups a batch by identity)', () => {
  const s = selector({ header: 'h', 'mapping.a': ['c1'], default: ['c2'] });
  assert.equal(s.required(on({ h: 'a' })), s.required(on({ h: 'a' })));
  assert.equal(s.required(on({ h: 'x' })), s.required(on({})));
  assert.equal(s.optional(on({ h: 'a' })), s.optional(on({ h: 'b' })));
});

test('every channel named must be one of the source\'s, each reported with its key', () => {
  const config = configFor(multiplexingSelector, { 'mapping.CA': ['c1', 'c9'], 'optional.NY': ['c8'], default: ['c7'] });
  assert.deepEqual(
    multiplexingSelector.checkChannels!(config, CHANNELS).map((p) => `${p.key}: ${p.message}`),
    [
      'default: c7 is not a channel of this source (its channels: c1 c2 c3 c4)',
      'mapping.CA: c9 is not a channel of this source (its channels: c1 c2 c3 c4)',
      'optional.NY: c8 is not a channel of this source (its channels: c1 c2 c3 c4)',
    ],
  );
});
