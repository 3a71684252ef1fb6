/**
 * Sluice's sources. Each is one factory (schema with Flume's keys + create); the runtime
 * registers them from SOURCE_FACTORIES, explicitly.
 */
import type { SourceFactory } from '@sluice/config';
import { avroSource } from './avro/avro-source-factory.js';
import { execSource } from './exec/exec-factory.js';
import { httpSource } from './http/http-source-factory.js';
import { netcatSource } from './netcat/netcat-source.js';
import { netcatUdpSource } from './netcat-udp/netcat-udp-source.js';
import { seqSource } from './seq/seq-source.js';
import { SYSLOG_SOURCES } from './syslog/syslog-sources.js';

export { avroSource, AVRO_SOURCE_KEYS, type AvroSourceConfig } from './avro/avro-source-factory.js';
export { AvroSource } from './avro/avro-source.js';
export { execSource } from './exec/exec-factory.js';
export type { ExecSource } from './exec/exec-source.js';
export { netcatSource, type NetcatSource } from './netcat/netcat-source.js';
export { netcatUdpSource } from './netcat-udp/netcat-udp-source.js';
export { seqSource, type SeqSource } from './seq/seq-source.js';

/** Every source type of this lib, for the runtime's registry. */
export const SOURCE_FACTORIES: readonly SourceFactory[] = [seqSource, execSource, netcatSource, netcatUdpSource, avroSource, httpSource, ...SYSLOG_SOURCES];
