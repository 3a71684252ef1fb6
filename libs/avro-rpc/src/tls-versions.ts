import type { SecureVersion } from 'node:tls';
import { SluiceError } from '@sluice/core';

const ORDER: readonly SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
/** Java protocol names that have no Node equivalent and are never enabled (SSLv3 is always excluded, as in Flume). */
const IGNORED = new Set(['SSLv2Hello', 'SSLv3', 'SSLv2']);

/**
 * Turns Flume's `include-protocols` / `exclude-protocols` (Java names, space-separated in the
 * configuration) into Node's `minVersion`/`maxVersion`. With no `include-protocols`, TLS 1.2 and
 * 1.3 are enabled (Sluice's floor; Flume's default also lets TLS 1.0/1.1 through when Java does).
 * Node expresses a range only, so a set with a hole (TLSv1.1 and TLSv1.3 without TLSv1.2) is a
 * SLUICE_ERR_CONFIG, as are unknown names and an empty set.
 */
export function tlsVersionRange(
  include: readonly string[] | undefined,
  exclude: readonly string[] = [],
): { minVersion: SecureVersion; maxVersion: SecureVersion } {
  for (const name of [...(include ?? []), ...exclude]) {
    if (!IGNORED.has(name) && !ORDER.includes(name as SecureVersion)) {
      throw new SluiceError('SLUICE_ERR_CONFIG', `unknown TLS protocol ${name}: use TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3`);
    }
  }
  const wanted = include ? ORDER.filter((v) => include.includes(v)) : (['TLSv1.2', 'TLSv1.3'] as SecureVersion[]);
  const allowed = wanted.filter((v) => !exclude.includes(v));
  if (allowed.length === 0) throw new SluiceError('SLUICE_ERR_CONFIG', 'the include/exclude protocol lists leave no TLS version enabled');
  const first = ORDER.indexOf(allowed[0]!);
  const last = ORDER.indexOf(allowed[allowed.length - 1]!);
  if (last - first + 1 !== allowed.length) {
    throw new SluiceError('SLUICE_ERR_CONFIG', `TLS versions ${allowed.join(', ')} are not a contiguous range, which Node cannot enable`);
  }
  return { minVersion: allowed[0]!, maxVersion: allowed[allowed.length - 1]! };
}

/** Key material and protocol limits of either end of a TLS connection. */
export interface TlsMaterial {
  /** PEM key and certificate chain... */
  readonly key?: Buffer;
  readonly cert?: Buffer;
  /** ...or a PKCS#12 bundle, protected by `passphrase`. */
  readonly pfx?: Buffer;
  readonly passphrase?: string;
  /** Lowest / highest protocol version accepted (Node names, e.g. 'TLSv1.2'). */
  readonly minVersion?: SecureVersion;
  readonly maxVersion?: SecureVersion;
  /** OpenSSL cipher list. */
  readonly ciphers?: string;
}
