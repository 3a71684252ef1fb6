/**
 * Flume's `ChannelFillPercentage`: size / capacity × 100, computed when read rather than trusted
 * from a report, so size, capacity and fill always agree. With no capacity known yet it is the
 * reported value (Flume's channels report Double.MAX_VALUE for a capacity of 0), else 0.
 */
export function channelFillPercentage(values: Readonly<Record<string, number>>): number {
  const size = values['ChannelSize'] ?? 0;
  const capacity = values['ChannelCapacity'] ?? 0;
  if (capacity > 0) return (size / capacity) * 100;
  return values['ChannelFillPercentage'] ?? 0;
}
