import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import {
  Batch,
  CHANNEL_COUNTERS,
  Counters,
  decodeBatch,
  SluiceError,
  SOURCE_COUNTERS,
  type ChannelSelector,
  type Reply,
  type Request,
  type SluiceEvent,
} from '@sluice/core';
import { MemoryStore } from '@sluice/channels';
import { configFor } from '@sluice/config/testing';
import { multiplexingSelector, regexFilterInterceptor } from '@sluice/flow';
import { ChannelService } from './channel-service.js';
import type { ChannelClient } from '@sluice/transport';
import { ChannelWriter } from './channel-writer.js';
import { createEmitter } from './emitter.js';

/*
 * The emitter over real channel services (memory stores), each behind a client that hands
 * requests straight to the service and can be scripted to answer some PUTs itself (FULL, ERROR),
 * to lose a reply after the service committed (a timeout), or to hold its replies.
 */

const logger = pino({ level: 'silent' });

type Fault = 'full' | 'retriable-error' | 'fatal-error' | 'lost-reply';

class ScriptedChannel {
  readonly service: ChannelService;
  /** Faults for the next PUTs, in order. */
  readonly faults: Fault[] = [];
  /** PUTs that reached the service. */
  puts = 0;
  private held: (() => void)[] | undefined;

  constructor(readonly name: string) {
    this.service = new ChannelService(new MemoryStore({ capacity: 10_000, byteBudget: 0 }), {
      name,
      transactionCapacity: 1000,
      leaseMs: 60_000,
      retryAfterMs: 2,
      fullWaitMs: 0,
      counters: new Counters(CHANNEL_COUNTERS),
      logger,
    });
  }

  hold(): void {
    this.held ??= [];
  }

  release(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const go of held) go();
  }

  readonly client = {
    request: async (req: Request): Promise<Reply> => {
      if (this.held) await new Promise<void>((resolve) => this.held!.push(resolve));
      const fault = req.type === 'PUT' ? this.faults.shift() : undefined;
      if (fault === 'full') return { type: 'FULL', tx: req.tx, retryAfterMs: 2 };
      if (fault === 'retriable-error') return { type: 'ERROR', tx: req.tx, code: 'SLUICE_ERR_IO', retriable: true, message: 'disk full' };
      if (fault === 'fatal-error') return { type: 'ERROR', tx: req.tx, code: 'SLUICE_ERR_BATCH_TOO_LARGE', retriable: false, message: 'too large' };
      if (req.type === 'PUT') this.puts++;
      const reply = await this.service.handle(`source:r1:1:`, req);
      if (fault === 'lost-reply') throw new SluiceError('SLUICE_ERR_TIMEOUT', `no answer to ${req.tx}`, { retriable: true });
      return reply;
    },
  } as unknown as ChannelClient;

  /** Every event committed, in order (takes and acks them all). */
  async drain(): Promise<string[]> {
    const bodies: string[] = [];
    for (let t = 0; ; t++) {
      const reply = await this.service.handle('sink:k1:1:', { type: 'TAKE', tx: `take-${t}`, max: 1000, waitMs: 0 });
      if (reply.type !== 'BATCH' || reply.count === 0) return bodies;
      bodies.push(...decodeBatch(reply.batch).map((e) => e.body.toString()));
      await this.service.handle('sink:k1:1:', { type: 'ACK', tx: `take-${t}` });
    }
  }

  close(): void {
    this.service.close();
  }
}

const replicating = (channels: readonly string[], optional: readonly string[] = []): ChannelSelector => ({
  required: () => channels,
  optional: () => optional,
  fixed: { required: channels, optional },
});

function setup(names: readonly string[], window = 8, optional: readonly string[] = []) {
  const channels = [...names, ...optional].map((n) => new ScriptedChannel(n));
  const writers = new Map(channels.map((c) => [c.name, new ChannelWriter(c.client, { channel: c.name, window, requestTimeoutMs: 5000, logger, txPrefix: 'r1' })]));
  const counters = new Counters(SOURCE_COUNTERS);
  const emitter = createEmitter({ interceptors: [], selector: replicating(names, optional), writers, counters, logger });
  const close = () => {
    for (const w of writers.values()) w.close();
    for (const c of channels) c.close();
  };
  return { channels, emitter, counters, close };
}

const batch = (from: number, n: number): SluiceEvent[] => Array.from({ length: n }, (_, i) => ({ headers: {}, body: Buffer.from(String(from + i)) }));
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => String(from + i));

for (const fault of ['full', 'retriable-error', 'lost-reply'] as const) {
  test(`two required channels, one answering ${fault} then recovering: each commits every batch exactly once, in order`, async () => {
    const { channels, emitter, close } = setup(['c1', 'c2']);
    const [c1, c2] = channels as [ScriptedChannel, ScriptedChannel];
    c2.faults.push(fault, fault, fault);
    try {
      await Promise.all([emitter.emit(batch(0, 5)), emitter.emit(batch(5, 5)), emitter.emit(batch(10, 5))]);
      assert.equal(c1.puts, 3, 'the channel that committed was sent each batch once');
      assert.deepEqual(await c1.drain(), range(0, 15));
      assert.deepEqual(await c2.drain(), range(0, 15), 'the recovered channel holds each batch once');
    } finally {
      close();
    }
  });
}

test('a batch one required channel refuses for good rejects the emit; the other channel keeps its one copy', async () => {
  const { channels, emitter, counters, close } = setup(['c1', 'c2']);
  const [c1, c2] = channels as [ScriptedChannel, ScriptedChannel];
  c2.faults.push('fatal-error');
  try {
    await assert.rejects(emitter.emit(batch(0, 3)), { code: 'SLUICE_ERR_BATCH_TOO_LARGE' });
    await emitter.emit(batch(3, 2));
    assert.deepEqual(await c1.drain(), range(0, 5));
    assert.deepEqual(await c2.drain(), range(3, 2));
    assert.equal(c1.puts, 2);
    assert.equal(counters.get('ChannelWriteFail'), 1);
    assert.equal(counters.get('AppendBatchReceivedCount'), 2);
    assert.equal(counters.get('AppendBatchAcceptedCount'), 1);
    assert.equal(counters.get('EventReceivedCount'), 5);
    assert.equal(counters.get('EventAcceptedCount'), 2);
  } finally {
    close();
  }
});

test("Flume's source counters are counted once per emit; a single-event call counts as an append", async () => {
  const { emitter, counters, close } = setup(['c1']);
  try {
    await emitter.emit(batch(0, 4));
    await emitter.emitBatch(Batch.of(batch(4, 3)));
    await emitter.emitBatch(Batch.of(batch(7, 1)), { single: true });
    await emitter.emit([]);
    assert.deepEqual(
      Object.fromEntries(['AppendBatchReceivedCount', 'AppendBatchAcceptedCount', 'AppendReceivedCount', 'AppendAcceptedCount', 'EventReceivedCount', 'EventAcceptedCount', 'ChannelWriteFail'].map((n) => [n, counters.get(n)])),
      { AppendBatchReceivedCount: 2, AppendBatchAcceptedCount: 2, AppendReceivedCount: 1, AppendAcceptedCount: 1, EventReceivedCount: 8, EventAcceptedCount: 8, ChannelWriteFail: 0 },
    );
  } finally {
    close();
  }
});

test('writable is false while a full window and one batch behind it wait on any channel; whenWritable resolves on a commit', async () => {
  const { channels, emitter, counters, close } = setup(['c1', 'c2'], 2);
  const c2 = channels[1]!;
  c2.hold();
  try {
    assert.equal(emitter.writable(), true);
    const emits = [emitter.emit(batch(0, 1)), emitter.emit(batch(1, 1))];
    assert.equal(emitter.writable(), true, 'a full window, nothing behind it');
    emits.push(emitter.emit(batch(2, 1)));
    assert.equal(emitter.writable(), false, 'a full window and one batch behind it on c2');
    let woke = false;
    const waking = emitter.whenWritable().then(() => (woke = true));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(woke, false, 'not writable while c2 holds its replies');
    c2.release();
    await waking;
    await Promise.all(emits);
    assert.equal(emitter.writable(), true);
    assert.equal(counters.get('EventAcceptedCount'), 3);
  } finally {
    close();
  }
});

test('an optional channel that does not answer never holds the source back', async () => {
  const { channels, emitter, close } = setup(['c1'], 2, ['o1']);
  const [c1, o1] = channels as [ScriptedChannel, ScriptedChannel];
  o1.hold();
  try {
    for (let i = 0; i < 5; i++) {
      assert.equal(emitter.writable(), true, `writable before emit ${i}, with ${i} batches unanswered by o1`);
      await emitter.emit(batch(i, 1));
    }
    assert.deepEqual(await c1.drain(), range(0, 5));
  } finally {
    o1.release();
    close();
  }
});

test('interceptors then a multiplexing selector: each event to its channels; a batch filtered to nothing commits nothing and resolves', async () => {
  const channels = ['us', 'eu', 'other'].map((n) => new ScriptedChannel(n));
  const writers = new Map(channels.map((c) => [c.name, new ChannelWriter(c.client, { channel: c.name, window: 8, requestTimeoutMs: 5000, logger, txPrefix: 'r1' })]));
  const names = channels.map((c) => c.name);
  const selector = multiplexingSelector.create(configFor(multiplexingSelector, { header: 'region', 'mapping.us': ['us'], 'mapping.eu': ['eu', 'other'], default: ['other'] }), names);
  const filter = regexFilterInterceptor.create(configFor(regexFilterInterceptor, { regex: '^keep' }), { agent: 'a1', name: 'f', logger, counters: new Counters(), dataDir: '/nonexistent' });
  const counters = new Counters(SOURCE_COUNTERS);
  const emitter = createEmitter({ interceptors: [filter], selector, writers, counters, logger });
  const ev = (body: string, region?: string): SluiceEvent => ({ headers: region === undefined ? {} : { region }, body: Buffer.from(body) });
  try {
    await emitter.emit([ev('keep 1', 'us'), ev('drop 2', 'us'), ev('keep 3', 'eu'), ev('keep 4'), ev('keep 5', 'us'), ev('keep 6', 'asia')]);
    await emitter.emit([ev('drop 7', 'us'), ev('drop 8', 'eu')]);
    assert.deepEqual(await channels[0]!.drain(), ['keep 1', 'keep 5']);
    assert.deepEqual(await channels[1]!.drain(), ['keep 3']);
    assert.deepEqual(await channels[2]!.drain(), ['keep 3', 'keep 4', 'keep 6']);
    assert.equal(channels.reduce((n, c) => n + c.puts, 0), 3, 'one put per channel for the first batch, none for the filtered-out one');
    assert.equal(counters.get('EventReceivedCount'), 8);
  } finally {
    for (const w of writers.values()) w.close();
    for (const c of channels) c.close();
  }
});
