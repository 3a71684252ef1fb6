import type { Config, KeySpecs, SourceFactory } from '@sluice/config';
import { charsetError } from '../charset.js';
import { SYSLOG_COMMON_KEYS, SYSLOG_TCP_KEYS, keepFieldsErrors, keepFieldsOf } from './syslog-keys.js';
import { SyslogTcpSource } from './syslog-tcp-source.js';
import { serverTls, serverTlsErrors } from '../server-tls.js';
import { SYSLOG_TLS_KEYS } from './syslog-tls.js';

const CHARSET_PORT_PREFIX = 'charset.port.';

export const MULTIPORT_SYSLOG_TCP_KEYS = {
  host: { format: 'host', default: undefined, doc: 'Host name or IP address to listen on.' },
  ports: { format: 'list-ws', default: undefined, doc: 'Space-separated TCP ports to listen on.' },
  portHeader: { format: 'string', default: '', doc: 'Header to put the port a message came in on in; empty: none.' },
  ...SYSLOG_TCP_KEYS,
  ...SYSLOG_COMMON_KEYS,
  ...SYSLOG_TLS_KEYS,
  'charset.default': {
    format: 'string',
    default: 'UTF-8',
    doc: 'Charset of the messages. Bodies are the bytes received, unchanged; a charset that is not ASCII-compatible is refused.',
  },
  readBufferSize: {
    format: 'int',
    default: 1024,
    min: 1,
    doc: "Flume's read buffer size in bytes: accepted for compatibility; Node sizes its reads itself.",
  },
  numProcessors: {
    format: 'int',
    default: 0,
    min: 0,
    defaultDoc: 'the number of cores',
    doc: "Flume's number of I/O threads: accepted for compatibility; the source's worker reads every port.",
  },
} as const satisfies KeySpecs;

export type MultiportSyslogTcpConfig = Config<typeof MULTIPORT_SYSLOG_TCP_KEYS>;

/** The ports of a validated `ports` list (check() has refused any that is not one). */
function portsOf(config: MultiportSyslogTcpConfig): number[] {
  return config.ports.map(Number);
}

/** Flume's `multiport_syslogtcp`: syslogtcp on several ports at once, with a per-port charset. */
export const multiportSyslogTcpSource: SourceFactory<typeof MULTIPORT_SYSLOG_TCP_KEYS> = {
  kind: 'source',
  type: 'multiport_syslogtcp',
  aliases: ['org.apache.flume.source.MultiportSyslogTCPSource'],
  doc: 'The TCP syslog receiver of `syslogtcp` on several ports, optionally naming the port in a header.',
  keys: MULTIPORT_SYSLOG_TCP_KEYS,
  dynamicKeys: {
    [CHARSET_PORT_PREFIX]: { format: 'string', default: '', doc: 'Charset of the messages on one port (`charset.port.5140`), as charset.default.' },
  },
  batchSizeKey: 'batchSize',
  resources: (config) => portsOf(config).map((port) => ({ kind: 'tcp-port' as const, host: config.host, port, key: 'ports' })),
  check(config) {
    const errors = [...keepFieldsErrors(config.keepFields), ...serverTlsErrors(config)];
    if (config.ports.length === 0) errors.push('ports: at least one port is needed');
    const ports = new Set<string>();
    for (const port of config.ports) {
      if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) errors.push(`ports: "${port}" is not a port (0-65535)`);
      else if (ports.has(String(Number(port)))) errors.push(`ports: ${port} is listed twice`);
      ports.add(String(Number(port)));
    }
    const charsetDefault = charsetError('charset.default', config['charset.default']);
    if (charsetDefault !== undefined) errors.push(charsetDefault);
    for (const [key, value] of Object.entries(config)) {
      if (!key.startsWith(CHARSET_PORT_PREFIX)) continue;
      const port = key.slice(CHARSET_PORT_PREFIX.length);
      if (!ports.has(String(Number(port))) || !/^\d+$/.test(port)) errors.push(`${key}: ${port} is not one of the ports`);
      const error = charsetError(key, String(value));
      if (error !== undefined) errors.push(error);
    }
    return errors;
  },
  create(config, ctx) {
    return new SyslogTcpSource(
      {
        host: config.host,
        ports: portsOf(config),
        eventSize: config.eventSize,
        keepFields: keepFieldsOf(config.keepFields),
        clientIPHeader: config.clientIPHeader,
        clientHostnameHeader: config.clientHostnameHeader,
        portHeader: config.portHeader,
        batchSize: config.batchSize,
        maxConnections: config.maxConnections,
        tls: serverTls(config),
      },
      ctx,
    );
  },
};
