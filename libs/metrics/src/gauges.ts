/**
 * Counter names that hold a level (a value that goes up and down) rather than a running count.
 * Gauges take the latest reported value; every other name is a counter, summed across a
 * component's worker processes and kept across restarts.
 */
export const GAUGE_NAMES: ReadonlySet<string> = new Set([
  // Channels (Flume).
  'ChannelSize',
  'ChannelCapacity',
  'ChannelFillPercentage',
  // Sources (Flume): connections open now.
  'OpenConnectionCount',
  // File channel (Flume): 1/0 flags.
  'Open',
  'Unhealthy',
  // File channel (Sluice): what the last replay did.
  'ReplayDurationMs',
  'EventsReplayed',
]);

export function isGauge(name: string): boolean {
  return GAUGE_NAMES.has(name);
}
