/**
 * Test support for the sink processors: sinks that succeed or fail on command and record what
 * they were given, a clock the test moves by hand, and numbered batches. Not exported from the index.
 */
import { channelKeys, createRegistry, loadAgentConfig, type AnyFactory, type ChannelFactory, type SinkFactory } from '@sluice/config';
import { Batch, type Delivery, type NamedSink, type Sink } from '@sluice/core';
import { defaultProcessor } from './default-processor/default-processor.js';
import type { ProcessorEnv } from './penalty.js';

export type FakeMode = 'ok' | 'retry' | 'reject' | 'throw';

export class FakeSink implements Sink {
  /** Every batch passed to deliver, in order. */
  readonly attempts: Batch[] = [];
  /** The batches this sink answered `ok` for. */
  readonly delivered: Batch[] = [];
  mode: FakeMode = 'ok';

  constructor(
    readonly name: string,
    readonly batchSize = 100,
  ) {}

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  async deliver(batch: Batch): Promise<Delivery> {
    this.attempts.push(batch);
    switch (this.mode) {
      case 'ok':
        this.delivered.push(batch);
        return { status: 'ok' };
      case 'throw':
        throw new TypeError(`${this.name} has a bug`);
      default:
        return { status: this.mode, error: new Error(`${this.name} is down`) };
    }
  }
}

export function fakeSinks(...names: string[]): { sinks: FakeSink[]; named: NamedSink[] } {
  const sinks = names.map((n) => new FakeSink(n));
  return { sinks, named: sinks.map((sink) => ({ name: sink.name, sink })) };
}

/** A clock moved by `advance` and a random source: a fixed value or a seeded generator. */
export class FakeEnv implements ProcessorEnv {
  time = 1_000_000;
  constructor(private readonly rng: () => number = () => 0) {}
  readonly now = (): number => this.time;
  readonly random = (): number => this.rng();
  advance(ms: number): void {
    this.time += ms;
  }
}

/** A small seeded generator (mulberry32), so "random" tests are reproducible. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let batchNo = 0;
/** A one-event batch whose body is unique across the test file. */
export function numberedBatch(): Batch {
  return Batch.of([{ headers: {}, body: Buffer.from(`batch-${batchNo++}`) }]);
}

export const NO_ABORT: AbortSignal = new AbortController().signal;

const notHere = (): never => {
  throw new Error('only the configuration is tested here');
};
const standInChannel: ChannelFactory = {
  kind: 'channel',
  type: 'memory',
  aliases: [],
  doc: 'Stand-in.',
  durability: 'volatile',
  keys: channelKeys({ capacity: 100, transactionCapacity: 100 }),
  create: notHere,
};
const standInSink: SinkFactory = { kind: 'sink', type: 'null', aliases: [], doc: 'Stand-in.', keys: {}, create: notHere };

/**
 * Loads an agent `a1` with channel c1, sinks k1 k2 k3 (all on c1) and sink group g1 of `groupSinks`,
 * (the others form default groups), whose processor lines are `processorLines` (relative to `a1.sinkgroups.g1.processor.`), through
 * the real configuration loader with the given processor factories.
 */
export function loadGroup(processors: readonly AnyFactory[], groupSinks: string, processorLines: readonly string[]) {
  const text = [
    'a1.channels = c1',
    'a1.sinks = k1 k2 k3',
    'a1.sinkgroups = g1',
    'a1.channels.c1.type = memory',
    ...['k1', 'k2', 'k3'].flatMap((k) => [`a1.sinks.${k}.type = null`, `a1.sinks.${k}.channel = c1`]),
    `a1.sinkgroups.g1.sinks = ${groupSinks}`,
    ...processorLines.map((l) => `a1.sinkgroups.g1.processor.${l}`),
  ].join('\n');
  return loadAgentConfig({ file: 'a1.properties', agent: 'a1', registry: createRegistry([standInChannel, standInSink, defaultProcessor, ...processors]), strict: true, text });
}
