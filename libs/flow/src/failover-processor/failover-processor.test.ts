import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createRegistry, type Config } from '@sluice/config';
import { SluiceError, type Batch, type NamedSink } from '@sluice/core';
import { FAILOVER_KEYS, FailoverProcessor, failoverProcessor } from './failover-processor.js';
import { configFor, fakeContext } from '../test-support.js';
import { FakeEnv, FakeSink, NO_ABORT, fakeSinks, loadGroup, numberedBatch, type FakeMode } from '../sink-group-test-support.js';

type FailoverConfig = Config<typeof FAILOVER_KEYS>;

function config(priorities: Record<string, number>, maxpenalty = 30000): FailoverConfig {
  const dynamic = Object.fromEntries(Object.entries(priorities).map(([sink, p]) => [`priority.${sink}`, p]));
  return { ...configFor(failoverProcessor, { maxpenalty }), ...dynamic };
}

function setup(names: string[], priorities: Record<string, number>, maxpenalty = 30000, env = new FakeEnv()) {
  const { sinks, named } = fakeSinks(...names);
  const ctx = fakeContext('g1');
  const processor = new FailoverProcessor(config(priorities, maxpenalty), named, ctx, env);
  const byName = Object.fromEntries(sinks.map((s) => [s.name, s])) as Record<string, FakeSink>;
  return { sinks: byName, processor, ctx, env };
}

async function deliverOk(processor: FailoverProcessor, batch: Batch = numberedBatch()): Promise<Batch> {
  const delivery = await processor.deliver(batch, NO_ABORT);
  assert.equal(delivery.status, 'ok', delivery.status === 'ok' ? '' : delivery.error.message);
  return batch;
}

const logged = (ctx: ReturnType<typeof fakeContext>, msg: RegExp, level?: number) =>
  ctx.records.filter((r) => msg.test(r.msg) && (level === undefined || r.level === level));

test('every batch goes to the highest priority, whatever the listing order', async () => {
  const { sinks, processor } = setup(['k1', 'k2', 'k3'], { k1: 5, k2: 10, k3: 1 });
  for (let i = 0; i < 5; i++) await deliverOk(processor);
  assert.deepEqual([sinks.k1!.attempts.length, sinks.k2!.attempts.length, sinks.k3!.attempts.length], [0, 5, 0]);
});

test('the batch size is the smallest of the sinks’', () => {
  const named: NamedSink[] = [new FakeSink('k1', 500), new FakeSink('k2', 200), new FakeSink('k3', 300)].map((sink) => ({ name: sink.name, sink }));
  const processor = new FailoverProcessor(config({}), named, fakeContext(), new FakeEnv());
  assert.equal(processor.batchSize, 200);
});

test('a failure passes the same batch to the next sink in the same call; it is delivered once', async () => {
  const { sinks, processor, ctx } = setup(['k1', 'k2', 'k3'], { k1: 10, k2: 5, k3: 1 });
  sinks.k1!.mode = 'retry';
  const batch = await deliverOk(processor);
  assert.deepEqual(sinks.k1!.attempts, [batch]);
  assert.deepEqual(sinks.k2!.delivered, [batch]);
  assert.equal(sinks.k3!.attempts.length, 0);
  // While k1 is penalised, k2 takes every batch and k1 is not tried.
  for (let i = 0; i < 10; i++) await deliverOk(processor);
  assert.equal(sinks.k1!.attempts.length, 1);
  assert.equal(sinks.k2!.delivered.length, 11);
  assert.equal(ctx.counters.get('FailoverCount'), 1);
  assert.equal(ctx.counters.get('SinkDeliveryFailCount'), 1);
  assert.equal(ctx.counters.get('GroupDeliveryFailCount'), 0);
  // One warning for k1's failure, one info for the switch; nothing per batch.
  assert.equal(logged(ctx, /failed; it is penalised/, 40).length, 1);
  assert.equal(logged(ctx, /now delivers to this sink/, 30).length, 0, 'k2 was never preceded by an active sink');
});

test('a failed sink is penalised 2 s, 4 s, 8 s... capped by maxpenalty (no jitter drawn)', async () => {
  const env = new FakeEnv(() => 0); // 0 → the full nominal penalty
  const { sinks, processor } = setup(['k1', 'k2'], { k1: 10, k2: 5 }, 10_000, env);
  sinks.k1!.mode = 'retry';
  await deliverOk(processor);
  const expected = [2000, 4000, 8000, 10_000, 10_000];
  for (const penalty of expected) {
    const before = sinks.k1!.attempts.length;
    env.advance(penalty - 1);
    await deliverOk(processor);
    assert.equal(sinks.k1!.attempts.length, before, `k1 must still be penalised ${penalty - 1} ms after its failure`);
    env.advance(1);
    await deliverOk(processor);
    assert.equal(sinks.k1!.attempts.length, before + 1, `k1 is retried once its ${penalty} ms penalty ended`);
  }
  assert.equal(sinks.k2!.delivered.length, 1 + 2 * expected.length, 'every batch was delivered, by k2');
});

test('jitter shortens a penalty by up to 20%, never lengthens it past maxpenalty', async () => {
  const env = new FakeEnv(() => 0.999999);
  const { sinks, processor } = setup(['k1', 'k2'], { k1: 10, k2: 5 }, 3000, env);
  sinks.k1!.mode = 'retry';
  await deliverOk(processor); // fails=1: nominal 2000, jittered just over 1600
  env.advance(1599);
  await deliverOk(processor);
  assert.equal(sinks.k1!.attempts.length, 1);
  env.advance(2);
  await deliverOk(processor); // fails=2: nominal min(3000, 4000) → just over 2400
  assert.equal(sinks.k1!.attempts.length, 2);
  env.advance(2400);
  await deliverOk(processor);
  assert.equal(sinks.k1!.attempts.length, 2);
  env.advance(2);
  await deliverOk(processor);
  assert.equal(sinks.k1!.attempts.length, 3);
});

test('the group fails back to the higher priority once its penalty is over and it delivers', async () => {
  const env = new FakeEnv();
  const { sinks, processor, ctx } = setup(['k2', 'k1'], { k1: 10, k2: 5 }, 10_000, env);
  await deliverOk(processor);
  sinks.k1!.mode = 'retry';
  await deliverOk(processor);
  sinks.k1!.mode = 'ok'; // collector1 restarted, but k1 is still penalised
  env.advance(1000);
  await deliverOk(processor);
  assert.deepEqual([sinks.k1!.delivered.length, sinks.k2!.delivered.length], [1, 2]);
  env.advance(1000); // the 2 s penalty is over
  for (let i = 0; i < 5; i++) await deliverOk(processor);
  assert.deepEqual([sinks.k1!.delivered.length, sinks.k2!.delivered.length], [6, 2]);
  assert.equal(logged(ctx, /recovered/, 30).length, 1);
  const switches = logged(ctx, /now delivers to this sink/, 30).map((r) => `${r['from']}->${r['sink']}`);
  assert.deepEqual(switches, ['k1->k2', 'k2->k1'], 'each switch is logged once');
  assert.equal(logged(ctx, /failed; it is penalised/, 40).length, 1);
});

test('a recovered sink starts again from the shortest penalty', async () => {
  const env = new FakeEnv();
  const { sinks, processor } = setup(['k1', 'k2'], { k1: 10, k2: 5 }, 30_000, env);
  sinks.k1!.mode = 'retry';
  await deliverOk(processor);
  env.advance(2000);
  await deliverOk(processor); // second failure: 4 s
  env.advance(4000);
  sinks.k1!.mode = 'ok';
  await deliverOk(processor);
  assert.equal(sinks.k1!.delivered.length, 1);
  sinks.k1!.mode = 'retry';
  await deliverOk(processor);
  env.advance(2000);
  await deliverOk(processor);
  assert.equal(sinks.k1!.attempts.length, 5, 'tried again after 2 s, not 8 s');
});

test('a lower-priority penalised sink is not probed while a higher one delivers', async () => {
  const env = new FakeEnv();
  const { sinks, processor } = setup(['k1', 'k2', 'k3'], { k1: 10, k2: 5, k3: 1 }, 30_000, env);
  sinks.k1!.mode = 'retry';
  sinks.k2!.mode = 'retry';
  await deliverOk(processor); // k1 and k2 fail, k3 delivers
  sinks.k1!.mode = 'ok';
  env.advance(2000); // both penalties are over: k1 takes back, k2 is not needed
  for (let i = 0; i < 3; i++) await deliverOk(processor);
  assert.deepEqual([sinks.k1!.delivered.length, sinks.k2!.attempts.length, sinks.k3!.delivered.length], [3, 1, 1]);
  sinks.k1!.mode = 'retry';
  sinks.k2!.mode = 'ok';
  await deliverOk(processor); // k1 fails: k2, whose penalty has long ended, is next
  assert.equal(sinks.k2!.delivered.length, 1);
});

test('sinks without a priority come after, in the order the group lists them', async () => {
  // Names whose alphabetical and hash orders differ from the listing order.
  const { sinks, processor } = setup(['zeta', 'alpha', 'mid'], {});
  await deliverOk(processor);
  assert.equal(sinks.zeta!.delivered.length, 1);
  sinks.zeta!.mode = 'retry';
  await deliverOk(processor);
  assert.equal(sinks.alpha!.delivered.length, 1);
  sinks.alpha!.mode = 'retry';
  await deliverOk(processor);
  assert.equal(sinks.mid!.delivered.length, 1);

  const mixed = setup(['k1', 'k2', 'k3'], { k3: 1 });
  mixed.sinks.k3!.mode = 'retry';
  mixed.sinks.k1!.mode = 'retry';
  await deliverOk(mixed.processor);
  assert.deepEqual(
    ['k1', 'k2', 'k3'].map((n) => mixed.sinks[n]!.attempts.length),
    [1, 1, 1],
  );
  assert.equal(mixed.sinks.k2!.delivered.length, 1, 'order k3 (1), k1 (unset: -1), k2 (unset: -2)');

  // An explicit priority equal to an unset sink's rank comes first.
  const tie = setup(['k1', 'k2'], { k2: -1 });
  await deliverOk(tie.processor);
  assert.equal(tie.sinks.k2!.delivered.length, 1);
});

test('two sinks with the same priority are a config error naming both', () => {
  const { named } = fakeSinks('k1', 'k2', 'k3');
  assert.throws(
    () => failoverProcessor.create(config({ k1: 10, k2: 5, k3: 10 }), named, fakeContext()),
    (err: unknown) =>
      err instanceof SluiceError && err.code === 'SLUICE_ERR_CONFIG' && /priority\.k1 and priority\.k3 are both 10/.test(err.message),
  );
});

test('a group without sinks is a config error; a priority for a sink outside the group is a warning', () => {
  assert.throws(
    () => failoverProcessor.create(config({}), [], fakeContext()),
    (err: unknown) => err instanceof SluiceError && err.code === 'SLUICE_ERR_CONFIG',
  );
  const ctx = fakeContext();
  const { named } = fakeSinks('k1', 'k2');
  failoverProcessor.create(config({ k1: 1, k9: 2 }), named, ctx);
  const warning = ctx.records.find((r) => r.level === 40 && /not in the group/.test(r.msg));
  assert.deepEqual(warning?.['keys'], ['priority.k9']);
});

test('when every sink fails: retry naming each failure, one error log, then the penalised sink due first is tried', async () => {
  const env = new FakeEnv();
  const { sinks, processor, ctx } = setup(['k1', 'k2'], { k1: 10, k2: 5 }, 30_000, env);
  sinks.k1!.mode = 'retry';
  sinks.k2!.mode = 'retry';
  const first = await processor.deliver(numberedBatch(), NO_ABORT);
  assert.ok(first.status === 'retry');
  assert.ok(first.error instanceof SluiceError && first.error.code === 'SLUICE_ERR_DELIVERY' && first.error.retriable);
  assert.match(first.error.message, /k1: k1 is down; k2: k2 is down/);
  // Both are penalised 2 s; k1's penalty, taken first, ends first: it alone is tried.
  env.advance(100);
  const second = await processor.deliver(numberedBatch(), NO_ABORT);
  assert.equal(second.status, 'retry');
  assert.deepEqual([sinks.k1!.attempts.length, sinks.k2!.attempts.length], [2, 1]);
  env.advance(100); // k1 now waits 4 s, k2 is due first
  await processor.deliver(numberedBatch(), NO_ABORT);
  assert.deepEqual([sinks.k1!.attempts.length, sinks.k2!.attempts.length], [2, 2]);
  assert.equal(logged(ctx, /Every sink of the group failed/, 50).length, 1);
  assert.equal(ctx.counters.get('GroupDeliveryFailCount'), 3);
  // k1 (due first again) comes back: it delivers at once, and the recovery is logged.
  sinks.k1!.mode = 'ok';
  env.advance(100);
  await deliverOk(processor);
  assert.equal(sinks.k1!.delivered.length, 1);
  assert.equal(logged(ctx, /delivers again/, 30).length, 1);
});

test('a batch every sink rejects is answered reject', async () => {
  const { sinks, processor } = setup(['k1', 'k2'], { k1: 10, k2: 5 });
  sinks.k1!.mode = 'reject';
  sinks.k2!.mode = 'reject';
  assert.equal((await processor.deliver(numberedBatch(), NO_ABORT)).status, 'reject');
});

test('a sink that throws ends the delivery with its error: no other sink is tried', async () => {
  const { sinks, processor } = setup(['k1', 'k2'], { k1: 10, k2: 5 });
  sinks.k1!.mode = 'throw';
  await assert.rejects(processor.deliver(numberedBatch(), NO_ABORT), (err: Error) => err instanceof TypeError && /k1 has a bug/.test(err.message));
  assert.equal(sinks.k2!.attempts.length, 0);
});

test('a failure while the runtime stops is returned as is: no penalty, no next sink', async () => {
  const { sinks, processor } = setup(['k1', 'k2'], { k1: 10, k2: 5 });
  const stop = new AbortController();
  stop.abort();
  sinks.k1!.mode = 'retry';
  const delivery = await processor.deliver(numberedBatch(), stop.signal);
  assert.equal(delivery.status, 'retry');
  assert.equal(sinks.k2!.attempts.length, 0);
  sinks.k1!.mode = 'ok';
  await deliverOk(processor);
  assert.equal(sinks.k1!.delivered.length, 1, 'k1 was not penalised');
});

test('model-based: the sinks tried for each batch follow priorities and penalties exactly', async () => {
  const names = ['k1', 'k2', 'k3']; // priorities 3, 2, 1
  const step = fc.record({
    modes: fc.tuple(...names.map(() => fc.constantFrom<FakeMode>('ok', 'ok', 'retry', 'reject'))),
    advance: fc.integer({ min: 0, max: 20_000 }),
  });
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 20_000 }), async (steps, maxpenalty) => {
      const env = new FakeEnv(() => 0.5); // jitter factor 0.9
      const { sinks, processor } = setup(names, { k1: 3, k2: 2, k3: 1 }, maxpenalty, env);
      const all = names.map((n) => sinks[n]!);
      const model = names.map(() => ({ fails: 0, readyAt: 0 }));
      for (const s of steps) {
        env.advance(s.advance);
        all.forEach((sink, i) => (sink.mode = s.modes[i]!));
        const now = env.time;
        let order = [0, 1, 2].filter((i) => now >= model[i]!.readyAt);
        if (order.length === 0) order = [[0, 1, 2].reduce((a, b) => (model[b]!.readyAt < model[a]!.readyAt ? b : a))];
        const expectedTried: number[] = [];
        let expectedBy: number | undefined;
        for (const i of order) {
          expectedTried.push(i);
          if (s.modes[i] === 'ok') {
            model[i] = { fails: 0, readyAt: 0 };
            expectedBy = i;
            break;
          }
          const fails = model[i]!.fails + 1;
          model[i] = { fails, readyAt: now + Math.min(maxpenalty, 1000 * 2 ** fails) * 0.9 };
        }
        const batch = numberedBatch();
        const delivery = await processor.deliver(batch, NO_ABORT);
        const tried = [0, 1, 2].filter((i) => all[i]!.attempts.includes(batch));
        assert.deepEqual(tried.sort(), [...expectedTried].sort());
        assert.equal(delivery.status === 'ok', expectedBy !== undefined);
        const holders = [0, 1, 2].filter((i) => all[i]!.delivered.includes(batch));
        assert.deepEqual(holders, expectedBy === undefined ? [] : [expectedBy]);
      }
    }),
    { numRuns: 200 },
  );
});

test('the factory declares Flume’s keys and defaults and registers', () => {
  assert.equal(failoverProcessor.keys.maxpenalty.default, 30000);
  assert.ok(failoverProcessor.dynamicKeys?.['priority.']);
  const registry = createRegistry([failoverProcessor]);
  assert.equal(registry.find('processor', 'FAILOVER'), failoverProcessor);
  assert.equal(registry.find('processor', 'org.apache.flume.sink.FailoverSinkProcessor'), failoverProcessor);
});

test('a Flume failover group goes through the configuration loader with typed priorities', () => {
  const lines = ['type = org.apache.flume.sink.FailoverSinkProcessor', 'priority.k1 = 10', 'priority.k2 = 5', 'maxpenalty = 10000'];
  const { topology, diagnostics } = loadGroup([failoverProcessor], 'k1 k2', lines);
  assert.deepEqual(diagnostics, []);
  const group = topology!.groups.find((g) => g.name === 'g1')!;
  assert.equal(group.processor.type, 'failover');
  assert.deepEqual(group.processor.config, { maxpenalty: 10000, 'priority.k1': 10, 'priority.k2': 5 });
  const bad = loadGroup([failoverProcessor], 'k1 k2', ['type = failover', 'priority.k1 = high', 'maxpenality = 5']);
  assert.deepEqual(
    bad.diagnostics.map((d) => d.message),
    [
      'a1.sinkgroups.g1.processor.priority.k1: invalid value "high", expected an integer',
      'a1.sinkgroups.g1.processor.maxpenality: unknown key for the failover sink processor; did you mean "maxpenalty"?',
    ],
  );
});
