import type { Config, KeySpecs, SourceFactory } from '@sluice/config';
import { SYSLOG_COMMON_KEYS, SYSLOG_TCP_KEYS, keepFieldsErrors, keepFieldsOf } from './syslog-keys.js';
import { SyslogTcpSource } from './syslog-tcp-source.js';
import { serverTls, serverTlsErrors } from '../server-tls.js';
import { SYSLOG_TLS_KEYS } from './syslog-tls.js';

export const SYSLOG_TCP_SOURCE_KEYS = {
  host: { format: 'host', default: undefined, doc: 'Host name or IP address to listen on.' },
  port: { format: 'port', default: undefined, doc: 'TCP port to listen on.' },
  ...SYSLOG_TCP_KEYS,
  ...SYSLOG_COMMON_KEYS,
  ...SYSLOG_TLS_KEYS,
  batchSize: { ...SYSLOG_COMMON_KEYS.batchSize, doc: `Sluice extension: ${SYSLOG_COMMON_KEYS.batchSize.doc}` },
} as const satisfies KeySpecs;

export type SyslogTcpConfig = Config<typeof SYSLOG_TCP_SOURCE_KEYS>;

/** Flume's `syslogtcp`: RFC 3164 / RFC 5424 messages over TCP, `\n`-terminated or octet-counted (RFC 6587). */
export const syslogTcpSource: SourceFactory<typeof SYSLOG_TCP_SOURCE_KEYS> = {
  kind: 'source',
  type: 'syslogtcp',
  aliases: ['org.apache.flume.source.SyslogTcpSource'],
  doc: 'A TCP syslog receiver: one event per RFC 3164 or RFC 5424 message, `\\n`-terminated or octet-counted (RFC 6587), with Flume\'s syslog headers. Syslog has no acknowledgement: a full channel slows the sender through TCP. Unlike Flume, octet-counted framing is understood, a message of exactly eventSize bytes is not marked Incomplete, and RFC 5424 time offsets and fractions are applied exactly.',
  keys: SYSLOG_TCP_SOURCE_KEYS,
  batchSizeKey: 'batchSize',
  resources: (config) => [{ kind: 'tcp-port', host: config.host, port: config.port, key: 'port' }],
  check: (config) => [...keepFieldsErrors(config.keepFields), ...serverTlsErrors(config)],
  create(config, ctx) {
    return new SyslogTcpSource(
      {
        host: config.host,
        ports: [config.port],
        eventSize: config.eventSize,
        keepFields: keepFieldsOf(config.keepFields),
        clientIPHeader: config.clientIPHeader,
        clientHostnameHeader: config.clientHostnameHeader,
        portHeader: '',
        batchSize: config.batchSize,
        maxConnections: config.maxConnections,
        tls: serverTls(config),
      },
      ctx,
    );
  },
};
