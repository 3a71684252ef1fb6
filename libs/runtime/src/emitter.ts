import { encodeBatch, type ChannelSelector, type Emit, type Interceptor, type Logger, type SluiceEvent } from '@sluice/core';
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
export function createEmitter(options: EmitterOptions): Emit {
  const { interceptors, selector, writers, logger } = options;
  return async (input, emitOptions) => {
    let events = input as SluiceEvent[];
    for (const interceptor of interceptors) events = interceptor.intercept(events);
    if (events.length === 0) return;
    const routes = route(events, selector);
    const required: Promise<void>[] = [];
    for (const r of routes) {
      const batch = encodeBatch(r.events);
      for (const channel of r.required) required.push(writers.get(channel)!.write(batch, emitOptions?.fullWaitMs));
      for (const channel of r.optional) {
        writers
          .get(channel)!
          .write(batch, 0)
          .catch((err: unknown) => logger.warn({ err, channel, events: r.events.length }, 'Optional channel did not take a batch.'));
      }
    }
    await Promise.all(required);
  };
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
