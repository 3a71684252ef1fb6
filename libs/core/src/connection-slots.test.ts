import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { ConnectionSlots, openFileLimit } from './connection-slots.js';

class Holder {
  destroyed = false;
  constructor(public quietSince: number | undefined) {}
  destroy(): void {
    this.destroyed = true;
  }
}

test('past the limit the quietest connection makes way; one being served never does', () => {
  const slots = new ConnectionSlots<Holder>(3, pino({ level: 'silent' }));
  const [served, quietest, recent] = [new Holder(undefined), new Holder(100), new Holder(200)];
  for (const h of [served, quietest, recent]) {
    assert.equal(slots.admit(), 'room');
    slots.add(h);
  }
  assert.equal(slots.admit(), 'evicted');
  assert.equal(quietest.destroyed, true);
  slots.add(new Holder(undefined));
  assert.equal(slots.admit(), 'evicted');
  assert.equal(recent.destroyed, true);
  slots.add(new Holder(undefined));
  assert.equal(slots.admit(), 'refused', 'every connection is being served');
  assert.equal(served.destroyed, false);
  assert.equal(slots.size, 3);
});

test("the process's open file limit is read", () => {
  const limit = openFileLimit();
  if (process.platform === 'linux') assert.ok(limit !== undefined && limit > 0);
});
