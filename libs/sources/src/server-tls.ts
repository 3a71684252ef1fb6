import { checkStoreType, readKeystore, readPemKeyPair, tlsVersionRange, type ServerTlsOptions } from '@sluice/avro-rpc';
import type { Config, KeySpecs } from '@sluice/config';

/** Flume's TLS keys of a listening source (avro's spelling), with Sluice's PEM pair and cipher list. */
export const SERVER_TLS_KEYS = {
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
} as const satisfies KeySpecs;

export type ServerTlsConfig = Config<typeof SERVER_TLS_KEYS>;

/**
 * The TLS key errors that need no file access: Java cipher-suite names, a missing or doubled key
 * source, an unknown store type, a protocol range Node cannot serve. `enabled` and `password` stand
 * for `ssl` and `keystore-password` where a source also accepts Flume's older spellings.
 */
export function serverTlsErrors(config: ServerTlsConfig, enabled = config.ssl): string[] {
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
  if (!enabled) return errors;
  const keystore = config.keystore !== '';
  const pem = config['ssl-key'] !== '' || config['ssl-cert'] !== '';
  if (keystore && pem) errors.push('ssl: set either keystore or ssl-key + ssl-cert, not both');
  else if (!keystore && !pem) errors.push('ssl = true needs keystore (JKS, PKCS12 or PEM), or ssl-key and ssl-cert (PEM files)');
  else if (pem && (config['ssl-key'] === '' || config['ssl-cert'] === '')) errors.push('ssl-key and ssl-cert go together');
  if (keystore && config['keystore-type'].trim() !== '') attempt(() => checkStoreType(config['keystore-type'], config.keystore, 'keystore'));
  const include = config['include-protocols'];
  attempt(() => tlsVersionRange(include.length > 0 ? include : undefined, config['exclude-protocols']));
  return errors;
}

/**
 * The server's TLS material, or undefined when TLS is off: `keystore` (JKS, PKCS12 or PEM; JCEKS
 * refused with the keytool remedy) or the PEM pair `ssl-key` + `ssl-cert`, the protocol range from
 * `include-protocols`/`exclude-protocols`, and `ssl-ciphers`. Throws SLUICE_ERR_CONFIG naming the
 * key and the file when a file cannot be read or holds the wrong thing.
 */
export function serverTls(config: ServerTlsConfig, enabled = config.ssl, password = config['keystore-password']): ServerTlsOptions | undefined {
  if (!enabled) return undefined;
  const include = config['include-protocols'];
  const versions = tlsVersionRange(include.length > 0 ? include : undefined, config['exclude-protocols']);
  const ciphers = config['ssl-ciphers'] === '' ? undefined : config['ssl-ciphers'];
  const material =
    config.keystore !== ''
      ? readKeystore({ path: config.keystore, password, type: config['keystore-type'], key: 'keystore' })
      : readPemKeyPair({ key: 'ssl-key', path: config['ssl-key'] }, { key: 'ssl-cert', path: config['ssl-cert'] });
  return { ...material, ...versions, ciphers };
}
