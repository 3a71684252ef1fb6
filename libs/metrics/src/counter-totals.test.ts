import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CounterTotals } from './counter-totals.js';

const C = 'CHANNEL.c1';

test('a report replaces the worker\'s previous values; counters of other workers add up', () => {
  const t = new CounterTotals();
  t.report('channel:c1', { [C]: { EventPutSuccessCount: 5 } });
  t.report('channel:c1', { [C]: { EventPutSuccessCount: 7 } });
  assert.deepEqual(t.values(C), { EventPutSuccessCount: 7 });
  t.report('sink:g1', { 'SINK.k1': { EventDrainSuccessCount: 3 } });
  assert.deepEqual(t.values('SINK.k1'), { EventDrainSuccessCount: 3 });
  assert.deepEqual(t.keys(), [C, 'SINK.k1']);
  assert.deepEqual(t.values('SOURCE.nope'), {});
});

test('after a retire the next process counts on from the last report of the one that exited', () => {
  const t = new CounterTotals();
  t.report('channel:c1', { [C]: { EventPutSuccessCount: 10, ChannelSize: 4, ChannelCapacity: 100 } });
  t.retire('channel:c1');
  // Between the exit and the new process's first report: counters kept, gauges keep their last value.
  assert.deepEqual(t.values(C), { EventPutSuccessCount: 10, ChannelSize: 4, ChannelCapacity: 100 });
  t.report('channel:c1', { [C]: { EventPutSuccessCount: 0, ChannelSize: 0, ChannelCapacity: 100 } });
  assert.deepEqual(t.values(C), { EventPutSuccessCount: 10, ChannelSize: 0, ChannelCapacity: 100 });
  t.report('channel:c1', { [C]: { EventPutSuccessCount: 3, ChannelSize: 2, ChannelCapacity: 100 } });
  assert.deepEqual(t.values(C), { EventPutSuccessCount: 13, ChannelSize: 2, ChannelCapacity: 100 });
  t.retire('channel:c1');
  t.retire('channel:c1'); // twice (exit seen twice) counts once
  t.report('channel:c1', { [C]: { EventPutSuccessCount: 1 } });
  assert.equal(t.values(C)['EventPutSuccessCount'], 14);
});

test('gauges are not summed: each of Flume\'s and the file channel\'s levels takes the latest report', () => {
  const t = new CounterTotals();
  const levels = { ChannelSize: 9, ChannelCapacity: 10, ChannelFillPercentage: 90, Open: 1, Unhealthy: 0, ReplayDurationMs: 120, EventsReplayed: 9 };
  t.report('channel:c1', { [C]: levels });
  t.retire('channel:c1');
  const after = { ChannelSize: 1, ChannelCapacity: 10, ChannelFillPercentage: 10, Open: 1, Unhealthy: 1, ReplayDurationMs: 30, EventsReplayed: 1 };
  t.report('channel:c1', { [C]: after });
  assert.deepEqual(t.values(C), after);
  t.report('source:r1', { 'SOURCE.r1': { OpenConnectionCount: 3 } });
  t.report('source:r1', { 'SOURCE.r1': { OpenConnectionCount: 1 } });
  assert.deepEqual(t.values('SOURCE.r1'), { OpenConnectionCount: 1 });
});

test('a counter that drops inside one process, vanishes or is not a valid number keeps what it had counted', () => {
  const t = new CounterTotals();
  t.report('sink:k1', { 'SINK.k1': { ConnectionCreatedCount: 4, BatchEmptyCount: 2, EventWriteFail: 1 } });
  t.report('sink:k1', { 'SINK.k1': { ConnectionCreatedCount: 1, EventWriteFail: Number.NaN } });
  assert.deepEqual(t.values('SINK.k1'), { ConnectionCreatedCount: 5, BatchEmptyCount: 2, EventWriteFail: 1 });
});

test('forget drops a worker\'s values, or only the named components\'', () => {
  const t = new CounterTotals();
  t.report('sink:g1', { 'SINK.k1': { EventDrainSuccessCount: 1 }, 'SINK.k2': { EventDrainSuccessCount: 2 }, 'SINK_PROCESSOR.g1': { FailoverCount: 1 } });
  t.retire('sink:g1');
  t.forget('sink:g1', ['SINK.k2']);
  assert.deepEqual(t.keys(), ['SINK.k1', 'SINK_PROCESSOR.g1']);
  assert.deepEqual(t.values('SINK.k1'), { EventDrainSuccessCount: 1 });
  t.forget('sink:g1');
  assert.deepEqual(t.keys(), []);
  assert.deepEqual(t.values('SINK.k1'), {});
  t.report('sink:g1', { 'SINK.k1': { EventDrainSuccessCount: 1 } });
  assert.deepEqual(t.values('SINK.k1'), { EventDrainSuccessCount: 1 }, 'a new worker of the same id starts from 0');
  t.forget('nobody');
  t.retire('nobody');
});

const names = ['EventPutSuccessCount', 'EventTakeSuccessCount', 'FsyncCount'] as const;
const op = fc.oneof(
  fc.record({
    op: fc.constant('report' as const),
    worker: fc.constantFrom('w1', 'w2'),
    key: fc.constantFrom('CHANNEL.c1', 'CHANNEL.c2'),
    values: fc.dictionary(fc.constantFrom(...names), fc.oneof(fc.nat(1000), fc.constant(-1), fc.constant(Number.NaN))),
  }),
  fc.record({ op: fc.constant('retire' as const), worker: fc.constantFrom('w1', 'w2') }),
);

test('property: counter totals never go down, whatever the reports and retires', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
      const t = new CounterTotals();
      let before: Record<string, Record<string, number>> = {};
      for (const o of ops) {
        if (o.op === 'report') t.report(o.worker, { [o.key]: o.values });
        else t.retire(o.worker);
        const now: Record<string, Record<string, number>> = {};
        for (const key of t.keys()) now[key] = t.values(key);
        for (const [key, values] of Object.entries(before)) {
          for (const [name, value] of Object.entries(values)) {
            assert.ok((now[key]?.[name] ?? -Infinity) >= value, `${key} ${name} went from ${value} to ${now[key]?.[name]}`);
          }
        }
        before = now;
      }
    }),
  );
});

test('property: with well-behaved processes (counts only grow until a retire) the total is the sum of each process\'s last count', () => {
  fc.assert(
    fc.property(fc.array(fc.array(fc.nat(50), { minLength: 1, maxLength: 5 }), { maxLength: 6 }), (processes) => {
      const t = new CounterTotals();
      let expected = 0;
      for (const increments of processes) {
        let count = 0;
        for (const inc of increments) {
          count += inc;
          t.report('w', { [C]: { EventTakeSuccessCount: count } });
        }
        expected += count;
        t.retire('w');
      }
      assert.equal(t.values(C)['EventTakeSuccessCount'] ?? 0, expected);
    }),
  );
});
