import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { editDistance, suggest } from './suggest.js';

describe('editDistance', () => {
  it('counts insertions, deletions, substitutions and adjacent transpositions', () => {
    assert.equal(editDistance('capcity', 'capacity'), 1);
    assert.equal(editDistance('maxpenality', 'maxpenalty'), 1);
    assert.equal(editDistance('batchSzie', 'batchSize'), 1);
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('same', 'same'), 0);
  });
});

describe('suggest', () => {
  const memoryKeys = ['capacity', 'transactionCapacity', 'byteCapacity', 'byteCapacityBufferPercentage', 'keep-alive'];

  it('prefers a case-insensitive match', () => {
    assert.equal(suggest('transactioncapacity', memoryKeys), 'transactionCapacity');
    assert.equal(suggest('CAPACITY', memoryKeys), 'capacity');
  });

  it('finds close misspellings', () => {
    assert.equal(suggest('capcity', memoryKeys), 'capacity');
    assert.equal(suggest('maxpenality', ['maxpenalty', 'priority.']), 'maxpenalty');
    assert.equal(suggest('keepalive', memoryKeys), 'keep-alive');
    assert.equal(suggest('transactionCapcaity', memoryKeys), 'transactionCapacity');
  });

  it('allows about a third of a long key to differ', () => {
    assert.equal(suggest('byteCapacityBufferPrcntg', memoryKeys), 'byteCapacityBufferPercentage');
  });

  it('says nothing when no candidate is close', () => {
    assert.equal(suggest('command', memoryKeys), undefined);
    assert.equal(suggest('x', ['abc']), undefined);
    assert.equal(suggest('anything', []), undefined);
  });
});
