import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createRegistry, type Config } from '@sluice/config';
import { SluiceError, type Batch } from '@sluice/core';
import { LOAD_BALANCE_KEYS, LoadBalanceProcessor, loadBalanceProcessor } from './load-balance-processor.js';
import { configFor, fakeContext } from '../test-support.js';
import { FakeEnv, NO_ABORT, fakeSinks, loadGroup, numberedBatch, seeded, type FakeMode, type FakeSink } from '../sink-group-test-support.js';

type LoadBalanceConfig = Config<typeof LOAD_BALANCE_KEYS>;

function setup(names: string[], values: Partial<Record<keyof typeof LOAD_BALANCE_KEYS, unknown>> = {}, env = new FakeEnv()) {
  const { sinks, named } = fakeSinks(...names);
  const ctx = fakeContext('g1');
  const config: LoadBalanceConfig = configFor(loadBalanceProcessor, values);
  const processor = new LoadBalanceProcessor(config, named, ctx, env);
  return { sinks, processor, ctx, env };
}

async function deliverOk(processor: LoadBalanceProcessor): Promise<Batch> {
  const batch = numberedBatch();
  const delivery = await processor.deliver(batch, NO_ABORT);
  assert.equal(delivery.status, 'ok', delivery.status === 'ok' ? '' : delivery.error.message);
  return batch;
}

/** Every batch was delivered by exactly one sink. */
function assertDeliveredOnce(batches: readonly Batch[], sinks: readonly FakeSink[]): void {
  const delivered = sinks.flatMap((s) => s.delivered);
  assert.equal(delivered.length, batches.length);
  assert.equal(new Set(delivered).size, batches.length);
  for (const b of batches) assert.ok(delivered.includes(b));
}

const counts = (sinks: readonly FakeSink[], what: 'delivered' | 'attempts' = 'delivered') => sinks.map((s) => s[what].length);

test('round_robin spreads batches evenly and in turn: 3 sinks, 300 batches → 100 each', async () => {
  const { sinks, processor } = setup(['k1', 'k2', 'k3']);
  const batches: Batch[] = [];
  for (let i = 0; i < 300; i++) batches.push(await deliverOk(processor));
  assert.deepEqual(counts(sinks), [100, 100, 100]);
  assert.deepEqual(sinks[0]!.delivered.slice(0, 2), [batches[0], batches[3]]);
  assert.deepEqual(sinks[1]!.delivered.slice(0, 2), [batches[1], batches[4]]);
  assertDeliveredOnce(batches, sinks);
});

test('round_robin: a failing sink’s share is spread over the others, none lost', async () => {
  const { sinks, processor, ctx } = setup(['k1', 'k2', 'k3']);
  sinks[1]!.mode = 'retry';
  const batches: Batch[] = [];
  for (let i = 0; i < 300; i++) batches.push(await deliverOk(processor));
  assert.deepEqual(counts(sinks), [150, 0, 150]);
  assertDeliveredOnce(batches, sinks);
  // Without backoff the dead sink is tried whenever its turn comes; it is logged once.
  assert.equal(sinks[1]!.attempts.length, 150);
  assert.equal(ctx.counters.get('FailoverCount'), 150);
  assert.equal(ctx.records.filter((r) => r.level === 40 && /sink of the group failed/.test(r.msg)).length, 1);
});

test('round_robin with backoff: the dead sink is not tried on every batch, and a success resets its penalty', async () => {
  const env = new FakeEnv(() => 0); // no jitter drawn: penalties are 2 s, 4 s, 8 s...
  const { sinks, processor, ctx } = setup(['k1', 'k2', 'k3'], { backoff: true, 'selector.maxTimeOut': 30_000 }, env);
  sinks[1]!.mode = 'retry';
  const batches: Batch[] = [];
  for (let i = 0; i < 300; i++) {
    batches.push(await deliverOk(processor));
    env.advance(10); // 300 batches over 3 s
  }
  // Tried at 0 s (then held 2 s) and at about 2 s (then held 4 s): twice, not 150 times.
  assert.equal(sinks[1]!.attempts.length, 2);
  assertDeliveredOnce(batches, sinks);
  assert.deepEqual(counts(sinks), [150, 0, 150]);

  sinks[1]!.mode = 'ok';
  env.advance(4000);
  for (let i = 0; i < 3; i++) await deliverOk(processor);
  assert.equal(sinks[1]!.delivered.length, 1, 'back in the rotation once its backoff ended');
  assert.equal(ctx.records.filter((r) => r.level === 30 && /recovered/.test(r.msg)).length, 1);

  // It fails again: the penalty starts from 2 s again (Flume would hold it 8 s, then 16 s...).
  sinks[1]!.mode = 'retry';
  const before = sinks[1]!.attempts.length;
  for (let i = 0; i < 3; i++) await deliverOk(processor);
  assert.equal(sinks[1]!.attempts.length, before + 1);
  env.advance(1999);
  for (let i = 0; i < 6; i++) await deliverOk(processor);
  assert.equal(sinks[1]!.attempts.length, before + 1);
  env.advance(1);
  for (let i = 0; i < 3; i++) await deliverOk(processor);
  assert.equal(sinks[1]!.attempts.length, before + 2);
});

test('backoff is capped by selector.maxTimeOut', async () => {
  const env = new FakeEnv(() => 0);
  const { sinks, processor } = setup(['k1', 'k2'], { backoff: true, 'selector.maxTimeOut': 5000 }, env);
  sinks[0]!.mode = 'retry';
  const attemptsAt: number[] = [];
  for (let t = 0; t <= 40_000; t += 100) {
    const before = sinks[0]!.attempts.length;
    await deliverOk(processor);
    if (sinks[0]!.attempts.length > before) attemptsAt.push(t);
    env.advance(100);
  }
  const gaps = attemptsAt.slice(1).map((t, i) => t - attemptsAt[i]!);
  // Round robin may delay a due sink by one batch (100 ms here).
  assert.deepEqual(gaps.slice(0, 2).map((g) => Math.floor(g / 1000) * 1000), [2000, 4000]);
  assert.ok(gaps.slice(2).every((g) => g >= 5000 && g <= 5100), `gaps ${gaps.join(' ')}`);
});

test('when every sink is held back, the one whose backoff ends first is tried', async () => {
  const env = new FakeEnv(() => 0);
  const { sinks, processor, ctx } = setup(['k1', 'k2'], { backoff: true }, env);
  sinks[0]!.mode = 'retry';
  sinks[1]!.mode = 'retry';
  const first = await processor.deliver(numberedBatch(), NO_ABORT);
  assert.ok(first.status === 'retry');
  assert.match(first.error.message, /k1: k1 is down; k2: k2 is down/);
  env.advance(100);
  await processor.deliver(numberedBatch(), NO_ABORT); // both held 2 s: k1 (first in turn) is tried
  assert.deepEqual(counts(sinks, 'attempts'), [2, 1]);
  sinks[1]!.mode = 'ok'; // k2 comes back; its backoff ends before k1's (now 4 s)
  env.advance(100);
  await deliverOk(processor);
  assert.deepEqual(counts(sinks, 'attempts'), [2, 2]);
  assert.equal(ctx.records.filter((r) => r.level === 50 && /Every sink of the group failed/.test(r.msg)).length, 1);
  assert.equal(ctx.records.filter((r) => /delivers again/.test(r.msg)).length, 1);
});

test('without backoff, every sink failing is a retry naming each failure, after one try of each', async () => {
  const { sinks, processor, ctx } = setup(['k1', 'k2', 'k3']);
  for (const s of sinks) s.mode = 'retry';
  const delivery = await processor.deliver(numberedBatch(), NO_ABORT);
  assert.ok(delivery.status === 'retry');
  assert.ok(delivery.error instanceof SluiceError && delivery.error.code === 'SLUICE_ERR_DELIVERY');
  assert.match(delivery.error.message, /k1: k1 is down; k2: k2 is down; k3: k3 is down/);
  assert.deepEqual(counts(sinks, 'attempts'), [1, 1, 1]);
  assert.equal(ctx.counters.get('GroupDeliveryFailCount'), 1);
});

test('random covers every sink, and a failing sink’s share goes to the others', async () => {
  const env = new FakeEnv(seeded(42));
  const { sinks, processor } = setup(['k1', 'k2', 'k3'], { selector: 'random' }, env);
  const batches: Batch[] = [];
  for (let i = 0; i < 300; i++) batches.push(await deliverOk(processor));
  assertDeliveredOnce(batches, sinks);
  for (const n of counts(sinks)) assert.ok(n >= 60 && n <= 140, `shares ${counts(sinks).join(' ')}`);
  // The first sink tried is drawn uniformly: a sink always placed first would take everything.
  sinks[0]!.mode = 'retry';
  const more: Batch[] = [];
  for (let i = 0; i < 300; i++) more.push(await deliverOk(processor));
  assert.equal(sinks[0]!.delivered.length, counts(sinks)[0]);
  assertDeliveredOnce([...batches, ...more], sinks);
  assert.ok(sinks[1]!.delivered.length > 150 && sinks[2]!.delivered.length > 150);
});

test('a group of fewer than two sinks is a config error', () => {
  for (const names of [[], ['k1']]) {
    const { named } = fakeSinks(...names);
    assert.throws(
      () => loadBalanceProcessor.create(configFor(loadBalanceProcessor, {}), named, fakeContext()),
      (err: unknown) => err instanceof SluiceError && err.code === 'SLUICE_ERR_CONFIG' && /at least two sinks, got \d/.test(err.message),
    );
  }
});

test('selector: round_robin or random in any case; a custom selector class is a config error', () => {
  assert.deepEqual(loadBalanceProcessor.check!(configFor(loadBalanceProcessor, { selector: 'RANDOM' })), []);
  const custom = 'com.example.MySinkSelector';
  assert.deepEqual(loadBalanceProcessor.check!({ ...configFor(loadBalanceProcessor, {}), selector: custom }), [
    `selector "${custom}" is not supported: use round_robin or random (custom selector classes cannot be loaded)`,
  ]);
  const { named } = fakeSinks('k1', 'k2');
  assert.throws(
    () => loadBalanceProcessor.create({ ...configFor(loadBalanceProcessor, {}), selector: custom }, named, fakeContext()),
    (err: unknown) => err instanceof SluiceError && err.code === 'SLUICE_ERR_CONFIG',
  );
});

test('a sink that throws ends the delivery with its error: the batch is not offered to the next sink', async () => {
  const { sinks, processor } = setup(['k1', 'k2']);
  sinks[0]!.mode = 'throw';
  await assert.rejects(processor.deliver(numberedBatch(), NO_ABORT), (err: Error) => err instanceof TypeError && /k1 has a bug/.test(err.message));
  assert.equal(sinks[1]!.attempts.length, 0);
});

test('model-based (round_robin, backoff): tries follow the turn and the penalties exactly', async () => {
  const n = 3;
  const step = fc.record({
    modes: fc.tuple(...Array.from({ length: n }, () => fc.constantFrom<FakeMode>('ok', 'ok', 'retry', 'reject'))),
    advance: fc.integer({ min: 0, max: 10_000 }),
  });
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 20_000 }), async (steps, maxTimeOut) => {
      const env = new FakeEnv(() => 0.5); // jitter factor 0.9
      const { sinks, processor } = setup(['k1', 'k2', 'k3'], { backoff: true, 'selector.maxTimeOut': maxTimeOut }, env);
      const model = sinks.map(() => ({ fails: 0, readyAt: 0 }));
      let next = 0;
      for (const s of steps) {
        env.advance(s.advance);
        sinks.forEach((sink, i) => (sink.mode = s.modes[i]!));
        const now = env.time;
        const turn = Array.from({ length: n }, (_, k) => (next + k) % n);
        let order = turn.filter((i) => now >= model[i]!.readyAt);
        if (order.length === 0) order = [turn.reduce((a, b) => (model[b]!.readyAt < model[a]!.readyAt ? b : a))];
        const expectedTried: number[] = [];
        let expectedBy: number | undefined;
        for (const i of order) {
          expectedTried.push(i);
          if (s.modes[i] === 'ok') {
            model[i] = { fails: 0, readyAt: 0 };
            expectedBy = i;
            next = (i + 1) % n;
            break;
          }
          const fails = model[i]!.fails + 1;
          model[i] = { fails, readyAt: now + Math.min(maxTimeOut, 1000 * 2 ** fails) * 0.9 };
        }
        const batch = numberedBatch();
        const delivery = await processor.deliver(batch, NO_ABORT);
        const tried = sinks.flatMap((sink, i) => (sink.attempts.includes(batch) ? [i] : []));
        assert.deepEqual(tried, [...expectedTried].sort());
        assert.equal(delivery.status === 'ok', expectedBy !== undefined);
        assert.deepEqual(
          sinks.flatMap((sink, i) => (sink.delivered.includes(batch) ? [i] : [])),
          expectedBy === undefined ? [] : [expectedBy],
        );
      }
    }),
    { numRuns: 200 },
  );
});

test('the factory declares Flume’s keys and defaults and registers', () => {
  const { keys } = loadBalanceProcessor;
  assert.deepEqual([keys.selector.default, keys.backoff.default, keys['selector.maxTimeOut'].default], ['round_robin', false, 30000]);
  const registry = createRegistry([loadBalanceProcessor]);
  assert.equal(registry.find('processor', 'LOAD_BALANCE'), loadBalanceProcessor);
  assert.equal(registry.find('processor', 'org.apache.flume.sink.LoadBalancingSinkProcessor'), loadBalanceProcessor);
});

test('a Flume load_balance group goes through the configuration loader; a custom selector is reported', () => {
  const lines = ['type = load_balance', 'selector = RANDOM', 'backoff = true', 'selector.maxTimeOut = 10000'];
  const { topology, diagnostics } = loadGroup([loadBalanceProcessor], 'k1 k2 k3', lines);
  assert.deepEqual(diagnostics, []);
  assert.deepEqual(topology!.groups.find((g) => g.name === 'g1')!.processor.config, { selector: 'RANDOM', backoff: true, 'selector.maxTimeOut': 10000 });
  const bad = loadGroup([loadBalanceProcessor], 'k1 k2', ['type = org.apache.flume.sink.LoadBalancingSinkProcessor', 'selector = com.example.Sticky', 'backoff = yes']);
  assert.deepEqual(
    bad.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message),
    ['a1.sinkgroups.g1.processor.backoff: invalid value "yes", expected true or false'],
    'the check runs once the values parse',
  );
  const custom = loadGroup([loadBalanceProcessor], 'k1 k2', ['type = load_balance', 'selector = com.example.Sticky']);
  assert.match(custom.diagnostics.map((d) => d.message).join('\n'), /selector "com.example.Sticky" is not supported: use round_robin or random/);
});
