import { SERVER_TLS_KEYS } from '../server-tls.js';

/** Flume's TLS keys of the TCP syslog sources: those of every listening source. */
export const SYSLOG_TLS_KEYS = {
  ...SERVER_TLS_KEYS,
  ssl: { ...SERVER_TLS_KEYS.ssl, doc: 'Serve TLS (RFC 5425 style: the same framing inside TLS). Needs `keystore`, or `ssl-key` and `ssl-cert`.' },
} as const;

