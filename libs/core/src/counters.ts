/**
 * Flume's counter names per component kind (reference §10). Each worker keeps the counters of its
 * component and reports snapshots to the supervisor; counters not maintained by a type stay 0.
 */
export const SOURCE_COUNTERS = [
  'EventReceivedCount',
  'EventAcceptedCount',
  'AppendReceivedCount',
  'AppendAcceptedCount',
  'AppendBatchReceivedCount',
  'AppendBatchAcceptedCount',
  'OpenConnectionCount',
  'EventReadFail',
  'ChannelWriteFail',
  'GenericProcessingFail',
] as const;

export const CHANNEL_COUNTERS = [
  'ChannelSize',
  'ChannelCapacity',
  'ChannelFillPercentage',
  'EventPutAttemptCount',
  'EventPutSuccessCount',
  'EventTakeAttemptCount',
  'EventTakeSuccessCount',
] as const;

export const SINK_COUNTERS = [
  'ConnectionCreatedCount',
  'ConnectionClosedCount',
  'ConnectionFailedCount',
  'BatchEmptyCount',
  'BatchUnderflowCount',
  'BatchCompleteCount',
  'EventDrainAttemptCount',
  'EventDrainSuccessCount',
  'EventWriteFail',
  'ChannelReadFail',
] as const;

export type ComponentKind = 'source' | 'channel' | 'sink';

export const FLUME_COUNTERS: Record<ComponentKind, readonly string[]> = {
  source: SOURCE_COUNTERS,
  channel: CHANNEL_COUNTERS,
  sink: SINK_COUNTERS,
};

/** A named set of numeric counters, starting with a kind's Flume names at 0. */
export class Counters {
  private readonly values: Record<string, number> = {};

  constructor(names: readonly string[] = []) {
    for (const n of names) this.values[n] = 0;
  }

  inc(name: string, by = 1): void {
    this.values[name] = (this.values[name] ?? 0) + by;
  }

  set(name: string, value: number): void {
    this.values[name] = value;
  }

  get(name: string): number {
    return this.values[name] ?? 0;
  }

  snapshot(): Record<string, number> {
    return { ...this.values };
  }
}
