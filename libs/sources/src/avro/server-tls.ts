import { readKeystore, readPemKeyPair, type ServerTlsOptions, tlsVersionRange } from '@sluice/avro-rpc';
import type { AvroSourceConfig } from './avro-source-factory.js';

/**
 * The server's TLS material from the source's keys, or undefined when `ssl` is off: `keystore`
 * (JKS, PKCS12 or PEM; JCEKS refused with the keytool remedy) or the PEM pair `ssl-key` + `ssl-cert`,
 * the protocol range from `include-protocols`/`exclude-protocols`, and `ssl-ciphers`.
 * Throws SLUICE_ERR_CONFIG naming the key and the file when a file cannot be read or holds the wrong thing.
 */
export function serverTls(config: AvroSourceConfig): ServerTlsOptions | undefined {
  if (!config.ssl) return undefined;
  const include = config['include-protocols'];
  const versions = tlsVersionRange(include.length > 0 ? include : undefined, config['exclude-protocols']);
  const ciphers = config['ssl-ciphers'] === '' ? undefined : config['ssl-ciphers'];
  if (config.keystore !== '') {
    const path = config.keystore;
    const material = readKeystore({
      path,
      password: config['keystore-password'],
      type: config['keystore-type'],
      key: 'keystore',
    });
    return { ...material, ...versions, ciphers };
  }
  const pair = readPemKeyPair({ key: 'ssl-key', path: config['ssl-key'] }, { key: 'ssl-cert', path: config['ssl-cert'] });
  return { ...pair, ...versions, ciphers };
}
