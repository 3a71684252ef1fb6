import { checkStoreType, tlsVersionRange } from '@sluice/avro-rpc';
import type { Config, KeySpecs, SinkFactory } from '@sluice/config';
import { AvroSink } from './avro-sink.js';

export const AVRO_SINK_KEYS = {
  hostname: { format: 'host', default: undefined, doc: 'Host name or IP address of the avro source (or of the VIP in front of several).' },
  port: { format: 'port', default: undefined, doc: 'Port of the avro source.' },
  'batch-size': { format: 'int', default: 100, min: 1, doc: 'Events taken and sent per appendBatch call.' },
  'connect-timeout': {
    format: 'int',
    default: 20000,
    min: 0,
    doc: 'Milliseconds allowed to open a connection (TCP and TLS). Below 1000 the default is used, as in Flume (logged).',
  },
  'request-timeout': {
    format: 'int',
    default: 20000,
    min: 0,
    doc: 'Milliseconds allowed for an answer to a batch. Below 1000 the default is used, as in Flume (logged). A timeout sends the batch back to the channel: it may be delivered twice.',
  },
  'reset-connection-interval': {
    format: 'int',
    default: 0,
    min: 0,
    doc: 'Seconds after which the connection is closed and a new one opened before the next batch, so that connections spread over the collectors behind a VIP and follow DNS changes. 0 = never.',
  },
  'compression-type': { format: ['none', 'deflate'], default: 'none', doc: '`deflate` must match the source\'s compression-type; there is no negotiation.' },
  'compression-level': { format: 'int', default: 6, min: 0, max: 9, doc: 'zlib level of what this sink sends with deflate (0–9).' },
  ssl: { format: 'bool', default: false, doc: 'Connect with TLS.' },
  'trust-all-certs': {
    format: 'bool',
    default: false,
    doc: "Accept any server certificate (encrypts without authenticating the server; for tests). Otherwise the truststore, or the system's CA store.",
  },
  truststore: { format: 'string', default: '', doc: 'Path of the truststore with the CA certificates to trust (JKS, PKCS12, or PEM).' },
  'truststore-password': { format: 'string', default: '', doc: 'Password of the truststore (JKS: checks the file; PKCS12).' },
  'truststore-type': {
    format: 'string',
    default: '',
    doc: '`JKS`, `PKCS12` or `PEM`. JCEKS cannot be read: convert with `keytool -importkeystore -deststoretype PKCS12`. Empty: taken from the file.',
  },
  'ssl-verify-hostname': {
    format: 'bool',
    default: true,
    doc: "Sluice extension: check that the server certificate names `hostname`. Flume's client does not check it; set false for certificates without the host's name.",
  },
  'exclude-protocols': { format: 'list-ws', default: [], doc: 'TLS versions not to enable (Java names); SSLv3 is never enabled.' },
  'include-protocols': { format: 'list-ws', default: [], doc: 'TLS versions to enable (Java names). Empty: TLSv1.2 and TLSv1.3.' },
  'include-cipher-suites': { format: 'string', default: '', doc: 'Java cipher-suite names: not translated, so setting it is an error; use `ssl-ciphers`.' },
  'exclude-cipher-suites': { format: 'string', default: '', doc: 'Java cipher-suite names: not translated, so setting it is an error; use `ssl-ciphers`.' },
  'ssl-ciphers': { format: 'string', default: '', doc: "Sluice extension: an OpenSSL cipher list. Empty: Node's default." },
  maxIoWorkers: { format: 'int', default: 0, min: 0, doc: 'Accepted and ignored, as in Flume 1.10+ (logged when set).' },
} as const satisfies KeySpecs;

export type AvroSinkConfig = Config<typeof AVRO_SINK_KEYS>;

function check(config: AvroSinkConfig): string[] {
  const errors: string[] = [];
  for (const key of ['include-cipher-suites', 'exclude-cipher-suites'] as const) {
    if (config[key].trim() !== '') errors.push(`${key}: Java cipher-suite names are not supported; set ssl-ciphers to an OpenSSL cipher list instead`);
  }
  if (config.ssl) {
    try {
      const include = config['include-protocols'];
      tlsVersionRange(include.length > 0 ? include : undefined, config['exclude-protocols']);
    } catch (err) {
      errors.push((err as Error).message);
    }
    if (config.truststore !== '' && config['truststore-type'].trim() !== '') {
      try {
        checkStoreType(config['truststore-type'], config.truststore, 'truststore');
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
  }
  return errors;
}

/**
 * `avro`: Flume's AvroSink. Sends each taken batch, as the bytes the channel holds, in one
 * `appendBatch` call to an avro source (Sluice or Flume). OK → the batch is acknowledged;
 * FAILED, UNKNOWN, an Avro error, a timeout or a connection failure → `retry`, so the batch goes
 * back to the channel and a sink processor can fail over.
 */
export const avroSink: SinkFactory<typeof AVRO_SINK_KEYS> = {
  kind: 'sink',
  type: 'avro',
  aliases: ['org.apache.flume.sink.AvroSink'],
  doc: "Flume's Avro RPC client: one appendBatch per taken batch, forwarded as the channel's bytes. Anything but OK sends the batch back to the channel (the group may fail over).",
  keys: AVRO_SINK_KEYS,
  batchSizeKey: 'batch-size',
  check,
  create(config, ctx) {
    return new AvroSink(config, ctx);
  },
};
