import { checkStoreType, readKeystore, readPemKeyPair, tlsVersionRange, type ServerTlsOptions } from '@sluice/avro-rpc';
import type { HttpSourceConfig } from './http-source-factory.js';

/** Whether the source serves TLS: `ssl`, or Flume's older spelling `enableSSL`. */
export function sslEnabled(config: HttpSourceConfig): boolean {
  return config.ssl || config.enableSSL;
}

/** `keystore-password`, or Flume's older spelling `keystorePassword`. */
function keystorePassword(config: HttpSourceConfig): string {
  return config['keystore-password'] !== '' ? config['keystore-password'] : config.keystorePassword;
}

/** The TLS key errors that need no file access, as the avro source reports them. */
export function tlsErrors(config: HttpSourceConfig): string[] {
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
  if (!sslEnabled(config)) return errors;
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
 * The server's TLS material, or undefined when TLS is off: `keystore` (JKS, PKCS12 or PEM) or the
 * PEM pair `ssl-key` + `ssl-cert`, the protocol range and `ssl-ciphers`. Throws SLUICE_ERR_CONFIG
 * naming the key and the file when a file cannot be read or holds the wrong thing.
 */
export function httpServerTls(config: HttpSourceConfig): ServerTlsOptions | undefined {
  if (!sslEnabled(config)) return undefined;
  const include = config['include-protocols'];
  const versions = tlsVersionRange(include.length > 0 ? include : undefined, config['exclude-protocols']);
  const ciphers = config['ssl-ciphers'] === '' ? undefined : config['ssl-ciphers'];
  const material =
    config.keystore !== ''
      ? readKeystore({ path: config.keystore, password: keystorePassword(config), type: config['keystore-type'], key: 'keystore' })
      : readPemKeyPair({ key: 'ssl-key', path: config['ssl-key'] }, { key: 'ssl-cert', path: config['ssl-cert'] });
  return { ...material, ...versions, ciphers };
}
