import { parseIpFilterRules } from '@sluice/avro-rpc';
import type { Config, KeySpecs, SourceFactory } from '@sluice/config';
import { SERVER_TLS_KEYS, serverTlsErrors } from '../server-tls.js';
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
  ...SERVER_TLS_KEYS,
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
  errors.push(...serverTlsErrors(config));
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
