import type { ConnectionSlots, Counters, Logger, SlotHolder } from '@sluice/core';

/**
 * Holds an accepted connection in its source's slots until it closes, keeping Flume's
 * `OpenConnectionCount` and a debug line at each end.
 */
export function trackConnection<C extends SlotHolder & { readonly closed: Promise<void> }>(
  slots: ConnectionSlots<C>,
  connection: C,
  counters: Counters,
  logger: Logger,
): void {
  slots.add(connection);
  counters.inc('OpenConnectionCount');
  logger.debug('connection opened');
  void connection.closed.then(() => {
    slots.delete(connection);
    counters.inc('OpenConnectionCount', -1);
    logger.debug('connection closed');
  });
}
