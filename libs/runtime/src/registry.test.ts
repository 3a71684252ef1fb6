import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FLUME_TYPES_NOT_IMPLEMENTED, type AnyFactory } from '@sluice/config';
import { defaultRegistry } from './registry.js';

test('no type in the table of Flume types not implemented yet is registered', () => {
  const registry = defaultRegistry();
  const registered = FLUME_TYPES_NOT_IMPLEMENTED.filter(
    (f) => registry.find(f.kind, f.className) !== undefined || (f.type !== undefined && registry.find(f.kind, f.type) !== undefined),
  );
  assert.deepEqual(registered, [], 'remove these from libs/config/src/flume-types.ts');
});

test("the config lib's test stand-ins declare what the real factories declare", async () => {
  const { fakeFactories } = await import('@sluice/config/testing');
  const registry = defaultRegistry();
  const shape = (f: AnyFactory) => ({
    aliases: f.aliases,
    keys: Object.fromEntries(Object.entries(f.keys).map(([k, s]) => [k, { format: s.format, default: s.defaultDoc ?? s.default, min: s.min, max: s.max }])),
    dynamicKeys: Object.keys(f.dynamicKeys ?? {}),
    batchSizeKey: f.batchSizeKey,
    durability: f.kind === 'channel' ? f.durability : undefined,
  });
  const compared = fakeFactories.filter((fake) => registry.find(fake.kind, fake.type) !== undefined);
  assert.ok(compared.length >= 8, 'most stand-ins have a real factory');
  for (const fake of compared) {
    assert.deepEqual(shape(fake), shape(registry.get(fake.kind, fake.type)), `${fake.kind} ${fake.type}`);
  }
});
