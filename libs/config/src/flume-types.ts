/**
 * Flume's component types that Sluice does not implement, so that a Flume configuration using one
 * is told "a Flume type Sluice does not implement yet" rather than "unknown type". This table is
 * the one place that lists them; a type moves out of it when its factory is registered.
 */
import type { SpecKind } from './spec.js';

export interface FlumeType {
  readonly kind: SpecKind;
  /** Flume's short alias (matched case-insensitively), or undefined when Flume has none (Kafka, UUID). */
  readonly type: string | undefined;
  /** Flume's fully qualified class name (matched exactly). */
  readonly className: string;
}

const t = (kind: SpecKind, type: string | undefined, className: string): FlumeType => ({ kind, type, className });

/** Flume's types (1.11 and its Kafka modules) that Sluice has no factory for. */
export const FLUME_TYPES_NOT_IMPLEMENTED: readonly FlumeType[] = [
  t('source', 'taildir', 'org.apache.flume.source.taildir.TaildirSource'),
  t('source', 'spooldir', 'org.apache.flume.source.SpoolDirectorySource'),
  t('source', 'jms', 'org.apache.flume.source.jms.JMSSource'),
  t('source', 'thrift', 'org.apache.flume.source.ThriftSource'),
  t('source', undefined, 'org.apache.flume.source.kafka.KafkaSource'),
  t('sink', 'hdfs', 'org.apache.flume.sink.hdfs.HDFSEventSink'),
  t('sink', 'hive', 'org.apache.flume.sink.hive.HiveSink'),
  t('sink', 'hbase', 'org.apache.flume.sink.hbase.HBaseSink'),
  t('sink', 'asynchbase', 'org.apache.flume.sink.hbase.AsyncHBaseSink'),
  t('sink', 'hbase2', 'org.apache.flume.sink.hbase2.HBase2Sink'),
  t('sink', 'elasticsearch', 'org.apache.flume.sink.elasticsearch.ElasticSearchSink'),
  t('sink', 'morphline_solr', 'org.apache.flume.sink.solr.morphline.MorphlineSolrSink'),
  t('sink', 'http', 'org.apache.flume.sink.http.HttpSink'),
  t('sink', 'irc', 'org.apache.flume.sink.irc.IRCSink'),
  t('sink', 'thrift', 'org.apache.flume.sink.ThriftSink'),
  t('sink', undefined, 'org.apache.flume.sink.kafka.KafkaSink'),
  t('channel', 'jdbc', 'org.apache.flume.channel.jdbc.JdbcChannel'),
  t('channel', 'spillablememory', 'org.apache.flume.channel.SpillableMemoryChannel'),
  t('channel', undefined, 'org.apache.flume.channel.kafka.KafkaChannel'),
  t('selector', 'load_balancing', 'org.apache.flume.channel.LoadBalancingChannelSelector'),
  t('interceptor', undefined, 'org.apache.flume.sink.solr.morphline.MorphlineInterceptor$Builder'),
];

/** The Flume type a type name refers to (short alias in any case, or class name exactly), if it is in the table. */
export function findFlumeTypeNotImplemented(kind: SpecKind, name: string): FlumeType | undefined {
  const lower = name.toLowerCase();
  return FLUME_TYPES_NOT_IMPLEMENTED.find((f) => f.kind === kind && (f.className === name || f.type === lower));
}
