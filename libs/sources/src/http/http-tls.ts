import type { ServerTlsOptions } from '@sluice/avro-rpc';
import { serverTls, serverTlsErrors } from '../server-tls.js';
import type { HttpSourceConfig } from './http-source-factory.js';

/** Whether the source serves TLS: `ssl`, or Flume's older spelling `enableSSL`. */
export function sslEnabled(config: HttpSourceConfig): boolean {
  return config.ssl || config.enableSSL;
}

/** `keystore-password`, or Flume's older spelling `keystorePassword`. */
function keystorePassword(config: HttpSourceConfig): string {
  return config['keystore-password'] !== '' ? config['keystore-password'] : config.keystorePassword;
}

/** The TLS key errors that need no file access, as every listening source reports them. */
export function tlsErrors(config: HttpSourceConfig): string[] {
  return serverTlsErrors(config, sslEnabled(config));
}

/** The server's TLS material, or undefined when TLS is off (see serverTls). */
export function httpServerTls(config: HttpSourceConfig): ServerTlsOptions | undefined {
  return serverTls(config, sslEnabled(config), keystorePassword(config));
}
