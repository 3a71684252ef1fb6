import type { Counters } from '@sluice/core';

/**
 * Flume's per-take sink counters: EventDrainAttemptCount for the events taken, and one of
 * BatchEmptyCount (none), BatchUnderflowCount (fewer than batchSize) or BatchCompleteCount.
 */
export function countTaken(counters: Counters, events: number, batchSize: number): void {
  if (events === 0) {
    counters.inc('BatchEmptyCount');
    return;
  }
  counters.inc(events >= batchSize ? 'BatchCompleteCount' : 'BatchUnderflowCount');
  counters.inc('EventDrainAttemptCount', events);
}

/** EventDrainSuccessCount for events delivered downstream. */
export function countDelivered(counters: Counters, events: number): void {
  counters.inc('EventDrainSuccessCount', events);
}
