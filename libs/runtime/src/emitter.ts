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

interface Route {
  readonly required: readonly string[];
  readonly optional: readonly string[];
  readonly events: SluiceEvent[];
}

/**
 * The source side of Flume's ChannelProcessor: run the interceptors, route each event with the
 * selector, encode once per distinct route, and commit to every required channel (in parallel,
 * each channel's writer on its own: a channel that has committed is never sent the batch again).
 * Optional channels are written best-effort: their failures are logged, never returned.
 * Counts Flume's source counters once per emit; the writers' windows are the back-pressure.
 */
export function createEmitter(options: EmitterOptions): Emitter {
  const { interceptors, selector, writers, counters, logger } = options;
  // The writers whose room decides `writable`: with a fixed routing the required ones only, so an
  // optional channel that is down or full never holds the source back.
  const gating = selector.fixed ? selector.fixed.required.map((c) => writers.get(c)!) : [...writers.values()];

  /** Commits one encoded batch to its required channels, best-effort to its optional ones. */
  const write = (batch: Buffer, events: number, required: readonly string[], optional: readonly string[], emitOptions?: EmitOptions) => {
    for (const channel of optional) {
      writers
        .get(channel)!
        .write(batch, 0)
        .catch((err: unknown) => logger.warn({ err, channel, events }, 'Optional channel did not take a batch.'));
    }
    return Promise.all(required.map((channel) => writers.get(channel)!.write(batch, emitOptions?.fullWaitMs)));
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
    // A selector whose routing never depends on the event needs no per-event look-up.
    const routes = selector.fixed ? [{ ...selector.fixed, events }] : route(events, selector);
    await Promise.all(routes.map((r) => write(encodeBatch(r.events), r.events.length, r.required, r.optional, emitOptions)));
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

/** Groups events by their (required, optional) channel lists, keeping each group's order. */
function route(events: SluiceEvent[], selector: ChannelSelector): Route[] {
  const routes: Route[] = [];
  let last: Route | undefined;
  for (const e of events) {
    const required = selector.required(e);
    const optional = selector.optional(e);
    // Selectors return the same arrays for the same route: the common case costs one comparison.
    if (last && last.required === required && last.optional === optional) {
      last.events.push(e);
      continue;
    }
    last = routes.find((r) => sameList(r.required, required) && sameList(r.optional, optional));
    if (!last) {
      last = { required, optional, events: [] };
      routes.push(last);
    }
    last.events.push(e);
  }
  return routes;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a === b || (a.length === b.length && a.every((x, i) => x === b[i]));
}
