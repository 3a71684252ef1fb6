import {
  encodeBatch,
  type Batch,
  type ChannelSelector,
  type Counters,
  type Emit,
  type EmitBatch,
  type EmitOptions,
  type Interceptor,
  type Logger,
  type SluiceEvent,
} from '@sluice/core';
import type { ChannelWriter } from './channel-writer.js';

export interface EmitterOptions {
  readonly interceptors: readonly Interceptor[];
  readonly selector: ChannelSelector;
  readonly writers: ReadonlyMap<string, ChannelWriter>;
  /** The source's counters: the emitter keeps Flume's Append*, Event* and ChannelWriteFail in them. */
  readonly counters: Counters;
  readonly logger: Logger;
}

/** What a source gets from the runtime to hand events to its channels (see SourceContext). */
export interface Emitter {
  readonly emit: Emit;
  readonly emitBatch: EmitBatch;
  readonly writable: () => boolean;
  readonly whenWritable: () => Promise<void>;
}


/**
 * The source side of Flume's ChannelProcessor: run the interceptors, route each event with the
 * selector (each channel gets its events of a batch in order, in one put), and commit to every required channel (in parallel,
 * each channel's writer on its own: a channel that has committed is never sent the batch again).
 * Optional channels are written best-effort: their failures are logged, never returned.
 * Counts Flume's source counters once per emit; the writers' windows are the back-pressure.
 */
export function createEmitter(options: EmitterOptions): Emitter {
  const { interceptors, selector, writers, counters, logger } = options;
  // The writers whose room decides `writable`: with a fixed routing the required ones only, so an
  // optional channel that is down or full never holds the source back.
  const gating = selector.fixed ? selector.fixed.required.map((c) => writers.get(c)!) : [...writers.values()];

  const writeOptional = (channel: string, batch: Buffer, events: number) =>
    writers
      .get(channel)!
      .write(batch, 0)
      .catch((err: unknown) => logger.warn({ err, channel, events }, 'Optional channel did not take a batch.'));

  /** Commits one encoded batch to its required channels, best-effort to its optional ones. */
  const write = (batch: Buffer, events: number, required: readonly string[], optional: readonly string[], emitOptions?: EmitOptions) => {
    for (const channel of optional) void writeOptional(channel, batch, events);
    return Promise.all(required.map((channel) => writers.get(channel)!.write(batch, emitOptions?.fullWaitMs)));
  };

  /** Events of several routes: each channel gets its own events in the order they came, as in Flume. */
  const writePerChannel = (events: readonly SluiceEvent[], emitOptions?: EmitOptions) => {
    const required = new Map<string, SluiceEvent[]>();
    const optional = new Map<string, SluiceEvent[]>();
    const add = (to: Map<string, SluiceEvent[]>, channel: string, e: SluiceEvent) => {
      const list = to.get(channel);
      if (list) list.push(e);
      else to.set(channel, [e]);
    };
    for (const e of events) {
      for (const c of selector.required(e)) add(required, c, e);
      for (const c of selector.optional(e)) add(optional, c, e);
    }
    for (const [channel, list] of optional) void writeOptional(channel, encodeBatch(list), list.length);
    return Promise.all([...required].map(([channel, list]) => writers.get(channel)!.write(encodeBatch(list), emitOptions?.fullWaitMs)));
  };

  /** Runs `send` for a batch of `count` events received by the source, counting its outcome. */
  const counted = async (count: number, emitOptions: EmitOptions | undefined, send: () => Promise<unknown>): Promise<void> => {
    const single = emitOptions?.single === true;
    counters.inc(single ? 'AppendReceivedCount' : 'AppendBatchReceivedCount');
    counters.inc('EventReceivedCount', count);
    try {
      await send();
    } catch (err) {
      counters.inc('ChannelWriteFail');
      throw err;
    }
    counters.inc(single ? 'AppendAcceptedCount' : 'AppendBatchAcceptedCount');
    counters.inc('EventAcceptedCount', count);
  };

  const send = async (input: readonly SluiceEvent[], emitOptions?: EmitOptions): Promise<void> => {
    let events = input as SluiceEvent[];
    for (const interceptor of interceptors) events = interceptor.intercept(events);
    if (events.length === 0) return;
    // A selector whose routing never depends on the event, or a batch all of one route, is encoded once.
    const r = selector.fixed ?? oneRoute(events, selector);
    if (r !== undefined) await write(encodeBatch(events), events.length, r.required, r.optional, emitOptions);
    else await writePerChannel(events, emitOptions);
  };

  const emit: Emit = (events, emitOptions) => (events.length === 0 ? Promise.resolve() : counted(events.length, emitOptions, () => send(events, emitOptions)));

  const emitBatch: EmitBatch = (batch: Batch, emitOptions) => {
    if (batch.count === 0) return Promise.resolve();
    return counted(batch.count, emitOptions, () => {
      if (interceptors.length > 0 || !selector.fixed) return send(batch.events(), emitOptions);
      return write(batch.bytes, batch.count, selector.fixed.required, selector.fixed.optional, emitOptions);
    });
  };

  const writable = () => gating.every((w) => w.writable);

  /** Waits for each writer that has no room, in turn, until none is left (or they are closed). */
  const whenWritable = async (): Promise<void> => {
    const blocked = () => gating.find((w) => !w.writable && !w.isClosed);
    for (let w = blocked(); w !== undefined; w = blocked()) await w.whenWritable();
  };

  return { emit, emitBatch, writable, whenWritable };
}

/** The route every event of the batch has, or undefined when they differ. */
function oneRoute(events: readonly SluiceEvent[], selector: ChannelSelector): { required: readonly string[]; optional: readonly string[] } | undefined {
  const required = selector.required(events[0]!);
  const optional = selector.optional(events[0]!);
  for (let i = 1; i < events.length; i++) {
    const r = selector.required(events[i]!);
    const o = selector.optional(events[i]!);
    // Selectors return the same arrays for the same route: the common case costs one comparison.
    if ((r !== required && !sameList(r, required)) || (o !== optional && !sameList(o, optional))) return undefined;
  }
  return { required, optional };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a === b || (a.length === b.length && a.every((x, i) => x === b[i]));
}
