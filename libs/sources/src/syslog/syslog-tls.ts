import { checkStoreType, readKeystore, tlsVersionRange, type ServerTlsOptions } from '@sluice/avro-rpc';
import type { Config, KeySpecs } from '@sluice/config';

/** Flume's TLS keys of the TCP syslog sources. */
export const SYSLOG_TLS_KEYS = {
  ssl: { format: 'bool', default: false, doc: 'Serve TLS (RFC 5425 style: the same framing inside TLS). Needs `keystore`.' },
  keystore: { format: 'string', default: '', doc: 'Path of the keystore holding the server key and certificate chain (JKS, PKCS12, or PEM).' },
  'keystore-password': { format: 'string', default: '', doc: 'Password of the keystore.' },
  'keystore-type': {
    format: 'string',
    default: '',
    doc: '`JKS`, `PKCS12` or `PEM`. Empty: taken from the file.',
  },
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
    doc: 'Java cipher-suite names: not translated, so setting it is an error.',
  },
  'exclude-cipher-suites': {
    format: 'string',
    default: '',
    doc: 'Java cipher-suite names: not translated, so setting it is an error.',
  },
} as const satisfies KeySpecs;

type TlsConfig = Config<typeof SYSLOG_TLS_KEYS>;

/** The TLS configuration errors that need no file access. */
export function syslogTlsErrors(config: TlsConfig): string[] {
  const errors: string[] = [];
  for (const key of ['include-cipher-suites', 'exclude-cipher-suites'] as const) {
    if (config[key].trim() !== '') errors.push(`${key}: Java cipher-suite names are not supported`);
  }
  if (!config.ssl) return errors;
  if (config.keystore === '') errors.push('ssl = true needs keystore (JKS, PKCS12 or PEM)');
  const attempt = (fn: () => unknown): void => {
    try {
      fn();
    } catch (err) {
      errors.push((err as Error).message);
    }
  };
  if (config.keystore !== '' && config['keystore-type'].trim() !== '') {
    attempt(() => checkStoreType(config['keystore-type'], config.keystore, 'keystore'));
  }
  const include = config['include-protocols'];
  attempt(() => tlsVersionRange(include.length > 0 ? include : undefined, config['exclude-protocols']));
  return errors;
}

/**
 * The server's TLS material, or undefined when `ssl` is off. Throws SLUICE_ERR_CONFIG naming the
 * key and the file when the keystore cannot be read or holds the wrong thing.
 */
export function syslogServerTls(config: TlsConfig): ServerTlsOptions | undefined {
  if (!config.ssl) return undefined;
  const include = config['include-protocols'];
  const versions = tlsVersionRange(include.length > 0 ? include : undefined, config['exclude-protocols']);
  const material = readKeystore({ path: config.keystore, password: config['keystore-password'], type: config['keystore-type'], key: 'keystore' });
  return { ...material, ...versions };
}
