import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FLUME_TYPES_NOT_IMPLEMENTED } from '@sluice/config';
import { defaultRegistry } from './registry.js';

test('no type in the table of Flume types not implemented yet is registered', () => {
  const registry = defaultRegistry();
  const registered = FLUME_TYPES_NOT_IMPLEMENTED.filter(
    (f) => registry.find(f.kind, f.className) !== undefined || (f.type !== undefined && registry.find(f.kind, f.type) !== undefined),
  );
  assert.deepEqual(registered, [], 'remove these from libs/config/src/flume-types.ts');
});
