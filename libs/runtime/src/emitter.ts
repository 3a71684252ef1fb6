import { encodeBatch, type Batch, type ChannelSelector, type Emit, type EmitBatch, type EmitOptions, type Interceptor, type Logger, type SluiceEvent } from '@sluice/core';
import type { ChannelWriter } from './channel-writer.js';

export interface EmitterOptions {
  readonly interceptors: readonly Interceptor[];
  readonly selector: ChannelSelector;
  readonly writers: ReadonlyMap<string, ChannelWriter>;
  readonly logger: Logger;
}

interface Route {
  readonly required: readonly string[];
  readonly optional: readonly string[];
  readonly events: SluiceEvent[];
}

/**
 * The source side of Flume's ChannelProcessor: run the interceptors, route each event with the
 * selector, encode once per distinct route, and commit to every required channel (in parallel).
 * Optional channels are written best-effort: their failures are logged, never returned.
 */
export function createEmitter(options: EmitterOptions): { emit: Emit; emitBatch: EmitBatch } {
  const { interceptors, selector, writers, logger } = options;

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

  const emit: Emit = async (input, emitOptions) => {
    let events = input as SluiceEvent[];
    for (const interceptor of interceptors) events = interceptor.intercept(events);
    if (events.length === 0) return;
    // A selector whose routing never depends on the event needs no per-event look-up.
    const routes = selector.fixed ? [{ ...selector.fixed, events }] : route(events, selector);
    await Promise.all(routes.map((r) => write(encodeBatch(r.events), r.events.length, r.required, r.optional, emitOptions)));
  };

  const emitBatch: EmitBatch = async (batch: Batch, emitOptions) => {
    if (interceptors.length > 0 || !selector.fixed) return emit(batch.events(), emitOptions);
    if (batch.count === 0) return;
    await write(batch.bytes, batch.count, selector.fixed.required, selector.fixed.optional, emitOptions);
  };

  return { emit, emitBatch };
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
