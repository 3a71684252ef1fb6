import { checkStoreType, parseIpFilterRules, tlsVersionRange } from '@sluice/avro-rpc';
import type { Config, KeySpecs, SourceFactory } from '@sluice/config';
import { AvroSource } from './avro-source.js';

export const AVRO_SOURCE_KEYS = {
  bind: { format: 'host', default: undefined, doc: 'Host name or IP address to listen on (0.0.0.0 for every interface).' },
  port: { format: 'port', default: undefined, doc: 'TCP port to listen on.' },
  threads: {
    format: 'int',
    default: 0,
    min: 0,
    doc: "Accepted for compatibility and unused: Node serves every connection on one event loop (Flume's worker thread count).",
  },
  'compression-type': {
    format: ['none', 'deflate'],
    default: 'none',
    doc: '`deflate`: each direction of a connection is one zlib stream (Flume\'s layout). Must match the sending sink; there is no negotiation.',
  },
  ssl: { format: 'bool', default: false, doc: 'Serve TLS. Needs `keystore`, or `ssl-key` and `ssl-cert`.' },
  keystore: { format: 'string', default: '', doc: 'Path of the keystore holding the server key and certificate chain (JKS, PKCS12, or PEM).' },
  'keystore-password': { format: 'string', default: '', doc: 'Password of the keystore.' },
  'keystore-type': {
    format: 'string',
    default: '',
    doc: '`JKS`, `PKCS12` or `PEM`. JCEKS cannot be read: convert with `keytool -importkeystore -deststoretype PKCS12`. Empty: taken from the file (Flume defaults to JKS, whose Java loader also reads PKCS12).',
  },
  'ssl-key': { format: 'string', default: '', doc: 'Sluice extension: PEM file of the private key, with `ssl-cert`, instead of a keystore.' },
  'ssl-cert': { format: 'string', default: '', doc: 'Sluice extension: PEM file of the certificate chain, with `ssl-key`.' },
  'exclude-protocols': {
    format: 'list-ws',
    default: [],
    doc: 'TLS versions not to enable (Java names, e.g. `TLSv1.2`); SSLv3 is never enabled.',
  },
  'include-protocols': {
    format: 'list-ws',
    default: [],
    doc: 'TLS versions to enable (Java names). Empty: TLSv1.2 and TLSv1.3. Node enables a contiguous range only.',
  },
  'include-cipher-suites': {
    format: 'string',
    default: '',
    doc: 'Java cipher-suite names: not translated, so setting it is an error; use `ssl-ciphers`.',
  },
  'exclude-cipher-suites': {
    format: 'string',
    default: '',
    doc: 'Java cipher-suite names: not translated, so setting it is an error; use `ssl-ciphers`.',
  },
  'ssl-ciphers': { format: 'string', default: '', doc: "Sluice extension: an OpenSSL cipher list (e.g. `ECDHE+AESGCM`). Empty: Node's default." },
  maxConnections: {
    format: 'int',
    default: 1000,
    min: 1,
    doc: 'Sluice extension: most connections open at once. A new one past it takes the place of the connection quiet longest (idle, or stalled inside a request); while every one has a request being committed, it is refused. Keep it below the worker\'s file descriptor limit.',
  },
  maxBufferedBytes: {
    format: 'int',
    default: 134_217_728,
    min: 1_048_576,
    doc: 'Sluice extension: bytes of frames (after inflate) all connections together may hold, each charged at its declared size from its length prefix until it is served; past it, the connection holding the most is closed. At least the largest frame a client sends (64 MiB at most).',
  },
  ipFilter: { format: 'bool', default: false, doc: 'Accept or refuse each connection by `ipFilterRules`.' },
  ipFilterRules: {
    format: 'string',
    default: '',
    doc: 'Comma-separated `allow|deny:ip|name:<glob>` rules; the first match decides, no match accepts. `name:` rules use reverse DNS.',
  },
} as const satisfies KeySpecs;

export type AvroSourceConfig = Config<typeof AVRO_SOURCE_KEYS>;

/** The configuration errors that need no file access. */
function check(config: AvroSourceConfig): string[] {
  const errors: string[] = [];
  const attempt = (fn: () => unknown): void => {
    try {
      fn();
    } catch (err) {
      errors.push((err as Error).message);
    }
  };
  for (const key of ['include-cipher-suites', 'exclude-cipher-suites'] as const) {
    if (config[key].trim() !== '') errors.push(`${key}: Java cipher-suite names are not supported; set ssl-ciphers to an OpenSSL cipher list instead`);
  }
  if (config.ssl) {
    const keystore = config.keystore !== '';
    const pem = config['ssl-key'] !== '' || config['ssl-cert'] !== '';
    if (keystore && pem) errors.push('ssl: set either keystore or ssl-key + ssl-cert, not both');
    else if (!keystore && !pem) errors.push('ssl = true needs keystore (JKS, PKCS12 or PEM), or ssl-key and ssl-cert (PEM files)');
    else if (pem && (config['ssl-key'] === '' || config['ssl-cert'] === '')) errors.push('ssl-key and ssl-cert go together');
    if (keystore && config['keystore-type'].trim() !== '') attempt(() => checkStoreType(config['keystore-type'], config.keystore, 'keystore'));
    const include = config['include-protocols'];
    attempt(() => tlsVersionRange(include.length > 0 ? include : undefined, config['exclude-protocols']));
  }
  if (config.ipFilter) {
    if (config.ipFilterRules.trim() === '') errors.push('ipFilter = true needs ipFilterRules');
    else attempt(() => parseIpFilterRules(config.ipFilterRules));
  }
  return errors;
}

/**
 * `avro`: Flume's AvroSource. Receives `append`/`appendBatch` from avro sinks (Sluice or Flume)
 * and `flume-ng avro-client`, and answers OK only once the events are committed to every
 * required channel; FAILED when a channel stays full for a second or fails, so the sender
 * retries or fails over.
 */
export const avroSource: SourceFactory<typeof AVRO_SOURCE_KEYS> = {
  kind: 'source',
  type: 'avro',
  aliases: ['org.apache.flume.source.AvroSource'],
  doc: "Flume's Avro RPC server (AvroSourceProtocol): OK once a batch is committed to every required channel, FAILED when a channel is full or fails. Batches pass to the channels undecoded unless an interceptor or a multiplexing selector needs the events.",
  keys: AVRO_SOURCE_KEYS,
  resources: (config) => [{ kind: 'tcp-port', host: config.bind, port: config.port, key: 'port' }],
  check,
  create(config, ctx) {
    return new AvroSource(config, ctx);
  },
};
