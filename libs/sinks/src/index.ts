/**
 * Sluice's sinks. Each is one factory (schema with Flume's keys + create); the runtime
 * registers them from SINK_FACTORIES, explicitly.
 */
import type { SinkFactory } from '@sluice/config';
import { avroSink } from './avro/avro-sink-factory.js';
import { fileRollSink } from './file-roll/file-roll-sink.js';
import { loggerSink } from './logger/logger-sink.js';
import { nullSink } from './null/null-sink.js';

export { avroSink, AVRO_SINK_KEYS, type AvroSinkConfig } from './avro/avro-sink-factory.js';
export { AvroSink } from './avro/avro-sink.js';
export { fileRollSink, type FileRollSink } from './file-roll/file-roll-sink.js';
export { loggerSink, type LoggerSink } from './logger/logger-sink.js';
export { nullSink, type NullSink } from './null/null-sink.js';

/** Every sink type of this lib, for the runtime's registry. */
export const SINK_FACTORIES: readonly SinkFactory[] = [loggerSink, fileRollSink, nullSink, avroSink];
