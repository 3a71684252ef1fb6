import type { Config, KeySpec, KeySpecs, SourceFactory } from '@sluice/config';
import { SERVER_TLS_KEYS } from '../server-tls.js';
import { tlsErrors } from './http-tls.js';
import { HttpSource } from './http-source.js';

/** Flume's handler class names Sluice implements. */
export const JSON_HANDLER = 'org.apache.flume.source.http.JSONHandler';
export const BLOB_HANDLER = 'org.apache.flume.sink.solr.morphline.BlobHandler';
const HANDLERS = [JSON_HANDLER, BLOB_HANDLER];

const MIB = 1024 * 1024;

const JETTY_KEY: KeySpec = {
  format: 'string',
  default: '',
  doc: 'A Jetty setting Flume passes through: accepted for compatibility and unused (Node serves the requests).',
};

export const HTTP_SOURCE_KEYS = {
  bind: { format: 'host', default: '0.0.0.0', doc: 'Host name or IP address to listen on.' },
  port: { format: 'port', default: undefined, doc: 'TCP port to listen on.' },
  handler: {
    format: 'string',
    default: JSON_HANDLER,
    doc: `Turns a request into events: \`${JSON_HANDLER}\` (a JSON array of \`{"headers": {...}, "body": "..."}\`) or \`${BLOB_HANDLER}\` (the whole body is one event, its headers the URL query parameters). Stricter than Flume: an event without \`body\` or with a header value that is not a string is a 400, and only POST is served (Flume also takes GET).`,
  },
  'handler.maxBlobLength': {
    format: 'int',
    default: 100_000_000,
    min: 1,
    doc: 'BlobHandler: largest body in bytes; a longer one is answered 413. The smaller of this and maxRequestBytes applies.',
  },
  ssl: SERVER_TLS_KEYS.ssl,
  enableSSL: { format: 'bool', default: false, doc: "Flume's older spelling of `ssl`." },
  keystore: SERVER_TLS_KEYS.keystore,
  'keystore-password': SERVER_TLS_KEYS['keystore-password'],
  keystorePassword: { format: 'string', default: '', doc: "Flume's older spelling of `keystore-password`." },
  'keystore-type': SERVER_TLS_KEYS['keystore-type'],
  'ssl-key': SERVER_TLS_KEYS['ssl-key'],
  'ssl-cert': SERVER_TLS_KEYS['ssl-cert'],
  'exclude-protocols': SERVER_TLS_KEYS['exclude-protocols'],
  'include-protocols': SERVER_TLS_KEYS['include-protocols'],
  'include-cipher-suites': SERVER_TLS_KEYS['include-cipher-suites'],
  'exclude-cipher-suites': SERVER_TLS_KEYS['exclude-cipher-suites'],
  'ssl-ciphers': SERVER_TLS_KEYS['ssl-ciphers'],
  maxRequestBytes: {
    format: 'int',
    default: 16 * MIB,
    min: 1,
    doc: 'Sluice extension: largest request body in bytes. A longer one is answered 413 and its connection closed, without reading the rest.',
  },
  maxBufferedBytes: {
    format: 'int',
    default: 128 * MIB,
    min: 1,
    doc: 'Sluice extension: bytes of request bodies all connections together may hold while they are read and committed. A request that would pass it is answered 503 (retry later). At least maxRequestBytes.',
  },
  maxConnections: {
    format: 'int',
    default: 1000,
    min: 1,
    doc: "Sluice extension: most connections open at once; a connection past it is closed at once. Keep it below the worker's file descriptor limit.",
  },
} as const satisfies KeySpecs;

export type HttpSourceConfig = Config<typeof HTTP_SOURCE_KEYS>;

function check(config: HttpSourceConfig): string[] {
  const errors = tlsErrors(config);
  if (!HANDLERS.includes(config.handler)) {
    errors.push(`handler: ${config.handler} is not supported (Sluice cannot load Java handlers); use ${JSON_HANDLER} or ${BLOB_HANDLER}`);
  }
  if (config.maxBufferedBytes < config.maxRequestBytes) {
    errors.push(`maxBufferedBytes (${config.maxBufferedBytes}) must be at least maxRequestBytes (${config.maxRequestBytes})`);
  }
  return errors;
}

/**
 * `http`: Flume's HTTPSource. Each POST is one batch, answered 200 only once it is committed to
 * every required channel; 503 when a channel stays full for a second, fails, or the source is
 * stopping; 400 for a body the handler cannot read; 413 past the size bound; 405 for any method
 * but POST.
 */
export const httpSource: SourceFactory<typeof HTTP_SOURCE_KEYS> = {
  kind: 'source',
  type: 'http',
  aliases: ['org.apache.flume.source.http.HTTPSource'],
  doc: "An HTTP(S) server: each POST is one batch (Flume's JSONHandler or BlobHandler), answered 200 once committed to every required channel, 503 when a channel is full or the source is stopping, 400 for a malformed body, 413 for one too large.",
  keys: HTTP_SOURCE_KEYS,
  dynamicKeys: {
    'QueuedThreadPool.': JETTY_KEY,
    'HttpConfiguration.': JETTY_KEY,
    'SslContextFactory.': JETTY_KEY,
    'ServerConnector.': JETTY_KEY,
  },
  resources: (config) => [{ kind: 'tcp-port', host: config.bind, port: config.port, key: 'port' }],
  check,
  create(config, ctx) {
    return new HttpSource(config, ctx);
  },
};
