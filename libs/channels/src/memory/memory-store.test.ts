import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeStoreContract, numbered } from '../testing/store-contract.js';
import { MemoryStore } from './memory-store.js';

describeStoreContract('memory', async (capacity) => ({ store: new MemoryStore({ capacity, byteBudget: 0 }) }));

test('the byte budget counts bodies in 100-byte slots, one at least per event', async () => {
  const store = new MemoryStore({ capacity: 1000, byteBudget: 1000 }); // 10 slots
  assert.equal(await store.commit('a', numbered(0, 8)), 'ok'); // 8 short bodies: 8 slots
  assert.equal(await store.commit('b', numbered(8, 3)), 'full');
  assert.equal(await store.commit('c', numbered(8, 2)), 'ok');
});
