import { type ClientTlsOptions, readTruststore, tlsVersionRange } from '@sluice/avro-rpc';
import type { AvroSinkConfig } from './avro-sink-factory.js';

/**
 * The client's TLS settings from the sink's keys, or undefined when `ssl` is off:
 * `trust-all-certs`, or the CA certificates of `truststore` (JKS, PKCS12 or PEM; JCEKS refused with the
 * keytool remedy), else the system's CA store; `ssl-verify-hostname`; the protocol range from
 * `include-protocols`/`exclude-protocols`; `ssl-ciphers`. Throws SLUICE_ERR_CONFIG on a bad store.
 */
export function clientTls(config: AvroSinkConfig): ClientTlsOptions | undefined {
  if (!config.ssl) return undefined;
  const include = config['include-protocols'];
  const versions = tlsVersionRange(include.length > 0 ? include : undefined, config['exclude-protocols']);
  const ciphers = config['ssl-ciphers'] === '' ? undefined : config['ssl-ciphers'];
  const common = { ...versions, ciphers, verifyHostname: config['ssl-verify-hostname'] };
  if (config['trust-all-certs']) return { ...common, trustAll: true };
  if (config.truststore === '') return common;
  const path = config.truststore;
  const { ca } = readTruststore({
    path,
    password: config['truststore-password'],
    type: config['truststore-type'],
    key: 'truststore',
  });
  return { ...common, ca };
}
