import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { configFor } from '@sluice/config/testing';
import {
  CHANNEL_COUNTERS,
  Counters,
  encodeBatch,
  SINK_COUNTERS,
  type Batch,
  type Delivery,
  type Logger,
  type NamedSink,
  type Reply,
  type Request,
  type RequestType,
  type Sink,
} from '@sluice/core';
import { MemoryStore } from '@sluice/channels';
import { ChannelService } from './channel-service.js';
import { defaultProcessor, failoverProcessor } from '@sluice/flow';
import { loggerSink } from '@sluice/sinks';
import { memoryLogger } from '@sluice/testkit';
import { ChannelClient, ChannelServer, channelEndpoint } from '@sluice/transport';
import { SinkRunner, type CountedSink, type SinkRunnerOptions } from './sink-runner.js';

const logger = pino({ level: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'sluice-sink-runner-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const batchOf = (from: number, n: number) => encodeBatch(Array.from({ length: n }, (_, i) => ({ headers: {}, body: Buffer.from(String(from + i)) })));

test('every delivered batch is acknowledged, the ACKs riding on the next TAKEs', async () => {
  const counters = new Counters(CHANNEL_COUNTERS);
  const service = new ChannelService(new MemoryStore({ capacity: 10_000, byteBudget: 0 }), {
    name: 'c1',
    transactionCapacity: 100,
    leaseMs: 60_000,
    retryAfterMs: 5,
    fullWaitMs: 0,
    counters,
    logger,
  });
  for (let b = 0; b < 20; b++) await service.handle('src', { type: 'PUT', tx: `p${b}`, commit: true, epoch: 0, batch: batchOf(b * 100, 100) });
  const requests = new Map<RequestType, number>();
  const endpoint = channelEndpoint(dir, 'c1');
  const server = new ChannelServer(
    endpoint,
    (peer, req) => {
      requests.set(req.type, (requests.get(req.type) ?? 0) + 1);
      return service.handle(peer, req);
    },
    logger,
  );
  await server.bind();
  const client = new ChannelClient(endpoint, 'sink:k1:1:', logger);
  client.connect();

  const delivered: number[] = [];
  const stop = new AbortController();
  const sink: Sink = {
    batchSize: 100,
    start: async () => {},
    stop: async () => {},
    async deliver(batch: Batch): Promise<Delivery> {
      delivered.push(...batch.events().map((e) => Number(e.body.toString())));
      if (delivered.length >= 2000) stop.abort();
      return { status: 'ok' };
    },
  };
  const sinkCounters = new Counters(SINK_COUNTERS);
  const runner = new SinkRunner({
    client,
    sinks: [{ name: 'k1', sink, counters: sinkCounters }],
    processor: groupOfOne,
    counters: sinkCounters,
    logger,
    txPrefix: 'k1-1',
    prefetch: 4,
    takeWaitMs: 50,
    requestTimeoutMs: 5000,
    leaseMs: 60_000,
  });
  try {
    await runner.run(stop.signal);
  } finally {
    await client.close();
    await server.close();
    service.close();
  }

  assert.deepEqual(delivered, Array.from({ length: 2000 }, (_, i) => i), 'every event, in order, once');
  assert.equal(service.size, 0, 'every lease acknowledged: nothing left to re-deliver');
  assert.equal(counters.get('EventTakeSuccessCount'), 2000);
  // 20 deliveries: 19 ACKs went out with a TAKE; only the last one, at stop, went alone.
  assert.equal(requests.get('ACK'), 1, `standalone ACKs: ${requests.get('ACK')}`);
  assert.equal(requests.get('NACK') ?? 0, 0);
});

const groupOfOne = (sinks: readonly NamedSink[]) => defaultProcessor.create(configFor(defaultProcessor, {}), sinks, quietContext('k1', new Counters()));

function quietContext(name: string, counters: Counters, log: Logger = logger) {
  return { agent: 'a1', name, logger: log, counters, dataDir: '/nonexistent' };
}

interface Held {
  readonly bytes: Buffer;
  readonly count: number;
}

/**
 * A channel as a sink group sees it: batches queued in order, leased whole by a TAKE (an empty
 * answer after waitMs when none is queued), removed by an ACK (alone or riding on a TAKE),
 * returned by a NACK to the head, ahead of everything queued after it. Records every ACK and NACK by tx.
 */
class FakeChannel {
  readonly queue: Held[];
  readonly leases = new Map<string, Held>();
  private readonly order: Map<Held, number>;
  readonly acked: string[] = [];
  readonly nacked: string[] = [];
  /** Called after each NACK is applied. */
  onNack: (tx: string) => void = () => {};

  constructor(batches: readonly Held[]) {
    this.queue = [...batches];
    this.order = new Map(batches.map((b, i) => [b, i]));
  }

  async request(req: Request): Promise<Reply> {
    switch (req.type) {
      case 'TAKE': {
        const ack = req.ack === undefined ? undefined : this.ack(req.ack);
        if (this.queue.length === 0 && req.waitMs > 0) await sleep(req.waitMs);
        const held = this.queue.shift();
        if (held) this.leases.set(req.tx, held);
        return { type: 'BATCH', tx: req.tx, count: held?.count ?? 0, batch: held?.bytes ?? Buffer.alloc(0), ...(ack ? { ack } : {}) };
      }
      case 'ACK':
        return this.ack(req.tx);
      case 'NACK': {
        const held = this.leases.get(req.tx);
        this.leases.delete(req.tx);
        if (held) {
          this.queue.push(held);
          this.queue.sort((a, b) => this.order.get(a)! - this.order.get(b)!);
        }
        this.nacked.push(req.tx);
        this.onNack(req.tx);
        return { type: 'NACKED', tx: req.tx };
      }
      case 'RENEW':
        return { type: 'RENEWED', tx: req.tx };
      default:
        throw new Error(`a sink group does not send ${req.type}`);
    }
  }

  private ack(tx: string): { type: 'ACKED'; tx: string } {
    this.leases.delete(tx);
    this.acked.push(tx);
    return { type: 'ACKED', tx };
  }
}

/** A sink answering by its mode; `decode` walks the batch as a sink that reads the events does. */
class ScriptedSink implements Sink {
  mode: 'ok' | 'retry' | 'decode' | 'throw' = 'ok';
  attempts = 0;
  constructor(readonly batchSize = 100) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async deliver(batch: Batch): Promise<Delivery> {
    this.attempts++;
    if (this.mode === 'throw') throw new TypeError('a bug in the sink');
    if (this.mode === 'retry') return { status: 'retry', error: new Error('the peer is down') };
    if (this.mode === 'decode') batch.events();
    return { status: 'ok' };
  }
}

const events = (n: number): Held => ({ bytes: encodeBatch(Array.from({ length: n }, (_, i) => ({ headers: {}, body: Buffer.from(`e${i}`) }))), count: n });
/** Bytes whose framing claims `count` events that are not there: the codec throws SLUICE_ERR_MALFORMED_BATCH walking them. */
const malformed = (count: number): Held => ({ bytes: Buffer.from([0x02, 0xff]), count });

function runnerOver(channel: FakeChannel, sinks: readonly CountedSink[], processor: SinkRunnerOptions['processor'], counters: Counters, log: Logger = logger) {
  return new SinkRunner({ client: channel, sinks, processor, counters, logger: log, txPrefix: 'g1-1', prefetch: 4, takeWaitMs: 20, requestTimeoutMs: 1000, leaseMs: 60_000 });
}

/** Runs until the channel is drained (a TAKE comes back empty), within 10 s. */
async function drainAll(runner: SinkRunner): Promise<void> {
  const drain = new AbortController();
  drain.abort();
  await runner.run(AbortSignal.timeout(10_000), drain.signal);
}

const sinkCounters = (c: Counters) => Object.fromEntries(SINK_COUNTERS.map((n) => [n, c.get(n)]));

test('ok deliveries count once in the sink’s Flume counters: attempts, successes, complete and underflow batches', async () => {
  const channel = new FakeChannel([events(100), events(100), events(40)]);
  const counters = new Counters(SINK_COUNTERS);
  await drainAll(runnerOver(channel, [{ name: 'k1', sink: new ScriptedSink(100), counters }], groupOfOne, counters));
  assert.deepEqual(sinkCounters(counters), {
    ...sinkCounters(new Counters(SINK_COUNTERS)),
    BatchCompleteCount: 2,
    BatchUnderflowCount: 1,
    BatchEmptyCount: 1,
    EventDrainAttemptCount: 240,
    EventDrainSuccessCount: 240,
  });
  assert.equal(channel.acked.length, 3);
  assert.equal(channel.queue.length + channel.leases.size, 0, 'every batch acknowledged');
});

test('a malformed batch is rejected once: EventWriteFail counts that delivery once, one error log with its tx, the batch stays at the head', async () => {
  const channel = new FakeChannel([malformed(3), events(5)]);
  const counters = new Counters(SINK_COUNTERS);
  const sink = loggerSink.create(configFor(loggerSink, {}), quietContext('k1', counters));
  const { logger: log, records } = memoryLogger();
  const stop = new AbortController();
  channel.onNack = () => stop.abort();
  const taken = [...channel.queue];
  await runnerOver(channel, [{ name: 'k1', sink, counters }], groupOfOne, counters, log).run(stop.signal);

  assert.equal(counters.get('EventWriteFail'), 1, 'one failed delivery');
  assert.equal(counters.get('EventDrainAttemptCount'), 3);
  assert.equal(counters.get('BatchUnderflowCount'), 1);
  assert.equal(counters.get('EventDrainSuccessCount'), 0);
  const errors = records.filter((r) => r.level === 50);
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!['tx'], channel.nacked[0], 'the error names the rejected batch’s tx');
  assert.equal((errors[0]!['err'] as { code: string }).code, 'SLUICE_ERR_MALFORMED_BATCH');
  assert.deepEqual(channel.acked, []);
  assert.deepEqual(channel.queue, taken, 'the malformed batch went back to the head, in order');
});

test('a failover group counts each delivery in the counters of the sink that made it', async () => {
  const channel = new FakeChannel([events(50), events(50)]);
  const [k1, k2] = [new ScriptedSink(100), new ScriptedSink(100)];
  k1.mode = 'retry';
  const sinks = [
    { name: 'k1', sink: k1, counters: new Counters(SINK_COUNTERS) },
    { name: 'k2', sink: k2, counters: new Counters(SINK_COUNTERS) },
  ];
  const group = new Counters(['BatchEmptyCount', 'ChannelReadFail']);
  const failover = (named: readonly NamedSink[]) =>
    failoverProcessor.create(configFor(failoverProcessor, { 'priority.k1': 10, 'priority.k2': 5 }), named, quietContext('g1', group));
  await drainAll(runnerOver(channel, sinks, failover, group));

  // k1 failed the first batch and was then penalised; k2 delivered both.
  const zero = sinkCounters(new Counters(SINK_COUNTERS));
  assert.deepEqual(sinkCounters(sinks[0]!.counters), { ...zero, BatchUnderflowCount: 1, EventDrainAttemptCount: 50, EventWriteFail: 1 });
  assert.deepEqual(sinkCounters(sinks[1]!.counters), { ...zero, BatchUnderflowCount: 2, EventDrainAttemptCount: 100, EventDrainSuccessCount: 100 });
  assert.equal(group.get('BatchEmptyCount'), 1, 'the empty take is the group’s');
  assert.equal(group.get('FailoverCount'), 1);
  assert.ok(!('EventWriteFail' in group.snapshot()), 'failed writes are counted by sink only');
  assert.equal(channel.acked.length, 2);
});

test('a malformed batch every sink of a group rejects: one EventWriteFail per sink, one error log naming its tx', async () => {
  const channel = new FakeChannel([malformed(4)]);
  const sinks = ['k1', 'k2'].map((name) => {
    const sink = new ScriptedSink();
    sink.mode = 'decode';
    return { name, sink, counters: new Counters(SINK_COUNTERS) };
  });
  const group = new Counters(['BatchEmptyCount', 'ChannelReadFail']);
  const { logger: log, records } = memoryLogger();
  const failover = (named: readonly NamedSink[]) => failoverProcessor.create(configFor(failoverProcessor, {}), named, quietContext('g1', group, log));
  const stop = new AbortController();
  channel.onNack = () => stop.abort();
  await runnerOver(channel, sinks, failover, group, log).run(stop.signal);

  for (const s of sinks) {
    assert.equal(s.counters.get('EventWriteFail'), 1, `${s.name}: one failed delivery`);
    assert.equal(s.counters.get('EventDrainAttemptCount'), 4);
  }
  // Besides the group's own change of state (every sink failed), one error for the batch.
  const errors = records.filter((r) => r.level === 50 && r.msg !== 'Every sink of the group failed; batches stay in the channel.');
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!['tx'], channel.nacked[0]);
  assert.match(String((errors[0]!['err'] as { message: string }).message), /k1: malformed batch: .*; k2: malformed batch: /);
  assert.equal(channel.queue.length, 1, 'the batch went back to the channel');
});

test('a sink that throws ends the run with its error, alone or in a failover group: no other sink tries the batch, nothing is ACKed', async () => {
  for (const size of [1, 2]) {
    const channel = new FakeChannel([events(3)]);
    const scripted = Array.from({ length: size }, () => new ScriptedSink());
    scripted[0]!.mode = 'throw';
    const sinks = scripted.map((sink, i) => ({ name: `k${i + 1}`, sink, counters: new Counters(SINK_COUNTERS) }));
    const processor =
      size === 1 ? groupOfOne : (named: readonly NamedSink[]) => failoverProcessor.create(configFor(failoverProcessor, {}), named, quietContext('g1', new Counters()));
    await assert.rejects(drainAll(runnerOver(channel, sinks, processor, new Counters())), (err: Error) => err instanceof TypeError, `a group of ${size}`);
    assert.deepEqual(
      scripted.map((s) => s.attempts),
      size === 1 ? [1] : [1, 0],
    );
    assert.deepEqual(channel.acked, []);
    assert.equal(sinks[0]!.counters.get('EventWriteFail'), 0, 'a bug is not a failed write');
  }
});
