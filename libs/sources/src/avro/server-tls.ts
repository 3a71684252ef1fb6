import { readFileSync } from 'node:fs';
import { readKeystore, type ServerTlsOptions, tlsVersionRange } from '@sluice/avro-rpc';
import { SluiceError } from '@sluice/core';
import type { AvroSourceConfig } from './avro-source-factory.js';

function readPem(key: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new SluiceError('SLUICE_ERR_CONFIG', `cannot read ${key} ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * The server's TLS material from the source's keys, or undefined when `ssl` is off: `keystore`
 * (JKS, PKCS12 or PEM; JCEKS refused with the keytool remedy) or the PEM pair `ssl-key` + `ssl-cert`,
 * the protocol range from `include-protocols`/`exclude-protocols`, and `ssl-ciphers`.
 * Throws SLUICE_ERR_CONFIG when a file cannot be read or holds the wrong thing.
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
  return { key: readPem('ssl-key', config['ssl-key']), cert: readPem('ssl-cert', config['ssl-cert']), ...versions, ciphers };
}
