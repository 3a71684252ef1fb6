/**
 * Flume's monitoring attribute names per component group (reference §10, checked against the 1.9
 * tag). Every `/metrics` entry of a group carries all of them, 0 when the type does not maintain
 * one. The source, channel and sink lists are core's counter names (Flume's, reference §10); an
 * end-to-end test compares an agent's output key by key against its own copy of Flume's names.
 */
import { CHANNEL_COUNTERS, SINK_COUNTERS, SOURCE_COUNTERS } from '@sluice/core';

export type FlumeGroup = 'SOURCE' | 'CHANNEL' | 'SINK' | 'SINK_PROCESSOR';

/** Present on every component entry. */
export const FLUME_COMMON_ATTRIBUTES = ['Type', 'StartTime', 'StopTime'] as const;

/** Flume's names are the counters every worker starts with (core); re-exported under the group's name. */
export const FLUME_SOURCE_ATTRIBUTES = SOURCE_COUNTERS;
export const FLUME_CHANNEL_ATTRIBUTES = CHANNEL_COUNTERS;
export const FLUME_SINK_ATTRIBUTES = SINK_COUNTERS;

/** The file channel's counter group adds these to the channel's. */
export const FLUME_FILE_CHANNEL_ATTRIBUTES = [
  'Open',
  'Unhealthy',
  'EventPutErrorCount',
  'EventTakeErrorCount',
  'CheckpointWriteErrorCount',
  'CheckpointBackupWriteErrorCount',
] as const;

/** Flume's sink processors register no counters of their own; the entry has only the common ones. */
export const FLUME_SINK_PROCESSOR_ATTRIBUTES = [] as const;

const BY_GROUP: Record<FlumeGroup, readonly string[]> = {
  SOURCE: FLUME_SOURCE_ATTRIBUTES,
  CHANNEL: FLUME_CHANNEL_ATTRIBUTES,
  SINK: FLUME_SINK_ATTRIBUTES,
  SINK_PROCESSOR: FLUME_SINK_PROCESSOR_ATTRIBUTES,
};

/**
 * The counter attributes Flume shows for a component of `group` whose configured type is `type`
 * (the file channel has extras), without the common Type/StartTime/StopTime.
 */
export function flumeCounterNames(group: FlumeGroup, type: string): readonly string[] {
  const names = BY_GROUP[group];
  // The topology gives canonical short types, whatever alias the config file used.
  return group === 'CHANNEL' && type === 'file' ? [...names, ...FLUME_FILE_CHANNEL_ATTRIBUTES] : names;
}

/** Every attribute of the entry, the common ones included. */
export function flumeAttributes(group: FlumeGroup, type: string): readonly string[] {
  return [...flumeCounterNames(group, type), ...FLUME_COMMON_ATTRIBUTES];
}

