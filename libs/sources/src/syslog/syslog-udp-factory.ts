import type { Config, KeySpecs, SourceFactory } from '@sluice/config';
import { SYSLOG_COMMON_KEYS, keepFieldsErrors, keepFieldsOf } from './syslog-keys.js';
import { SyslogUdpSource } from './syslog-udp-source.js';

export const SYSLOG_UDP_SOURCE_KEYS = {
  host: { format: 'host', default: undefined, doc: 'Host name or IP address to listen on.' },
  port: { format: 'port', default: undefined, doc: 'UDP port to listen on.' },
  ...SYSLOG_COMMON_KEYS,
  batchSize: {
    ...SYSLOG_COMMON_KEYS.batchSize,
    doc: `Sluice extension: most datagrams committed in one batch. Keep it within the channel transactionCapacity.`,
  },
} as const satisfies KeySpecs;

export type SyslogUdpConfig = Config<typeof SYSLOG_UDP_SOURCE_KEYS>;

/** Flume's `syslogudp`: one RFC 3164 / RFC 5424 message per datagram. */
export const syslogUdpSource: SourceFactory<typeof SYSLOG_UDP_SOURCE_KEYS> = {
  kind: 'source',
  type: 'syslogudp',
  aliases: ['org.apache.flume.source.SyslogUDPSource'],
  doc: "A UDP syslog receiver: one event per datagram, with Flume's syslog headers. Datagrams that arrive while the channels are full are dropped and counted (`DatagramDroppedCount`), as Flume loses them.",
  keys: SYSLOG_UDP_SOURCE_KEYS,
  batchSizeKey: 'batchSize',
  resources: (config) => [{ kind: 'udp-port', host: config.host, port: config.port, key: 'port' }],
  check: (config) => keepFieldsErrors(config.keepFields),
  create(config, ctx) {
    return new SyslogUdpSource(
      {
        host: config.host,
        port: config.port,
        keepFields: keepFieldsOf(config.keepFields),
        clientIPHeader: config.clientIPHeader,
        clientHostnameHeader: config.clientHostnameHeader,
        batchSize: config.batchSize,
      },
      ctx,
    );
  },
};
