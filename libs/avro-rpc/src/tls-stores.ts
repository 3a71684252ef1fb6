import { readFileSync } from 'node:fs';
import { SluiceError } from '@sluice/core';
import { readPkcs12Certificates } from './pkcs12-certs.js';

/**
 * Flume's TLS key and trust stores (`keystore`, `keystore-password`, `keystore-type`;
 * `truststore`, `truststore-password`, `truststore-type`) turned into Node TLS material.
 * PKCS12 is read directly; PEM files are accepted too. Java's own JKS/JCEKS formats cannot be
 * read: they are start-up errors whose message gives the keytool command that converts them.
 */
export interface StoreSpec {
  /** Path of the store file. */
  readonly path: string;
  readonly password?: string;
  /** `PKCS12`, `PEM`, or `JKS` (Flume's default, refused with a remedy). Case-insensitive. */
  readonly type?: string;
  /** The Flume key naming this store, for messages (e.g. `keystore`, `truststore`). */
  readonly key?: string;
}

/** Flume's default store type when none is configured. */
export const FLUME_DEFAULT_STORE_TYPE = 'JKS';

const JKS_MAGIC = 0xfeedfeed;
const JCEKS_MAGIC = 0xcececece;

function config(message: string, cause?: unknown): SluiceError {
  return new SluiceError('SLUICE_ERR_CONFIG', message, { cause });
}

function p12Name(path: string): string {
  return /\.(jks|jceks|keystore|ks)$/i.test(path) ? path.replace(/\.[^./]+$/, '.p12') : `${path}.p12`;
}

/**
 * The remedy for a JKS store: convert it with keytool. `X.jks` becomes `X.p12`.
 * Exposed so configuration checks can give the same message without reading the file.
 */
export function jksRemedy(path: string, key = 'keystore'): string {
  const dest = p12Name(path);
  return (
    `${key} ${path} is a JKS keystore, which Sluice cannot read. Convert it to PKCS12 with ` +
    `\`keytool -importkeystore -srckeystore ${path} -destkeystore ${dest} -deststoretype PKCS12\`, ` +
    `then set ${key} = ${dest} and ${key}-type = PKCS12`
  );
}

/**
 * Checks a configured store type without touching the file: JKS and JCEKS throw
 * SLUICE_ERR_CONFIG with the keytool remedy, unknown types throw too. Returns the normalised type.
 */
export function checkStoreType(type: string | undefined, path: string, key = 'keystore'): 'PKCS12' | 'PEM' {
  const t = (type ?? FLUME_DEFAULT_STORE_TYPE).trim().toUpperCase();
  if (t === 'PKCS12' || t === 'P12' || t === 'PFX') return 'PKCS12';
  if (t === 'PEM') return 'PEM';
  if (t === 'JKS' || t === 'JCEKS') {
    const defaulted = type === undefined ? `${key}-type defaults to JKS, as in Flume; ` : '';
    throw config(`${jksRemedy(path, key)} (${defaulted}if ${path} is already PKCS12, set ${key}-type = PKCS12)`);
  }
  throw config(`${key}-type ${type} is not supported: use PKCS12 or PEM`);
}

function readStore(spec: StoreSpec, key: string): { bytes: Buffer; type: 'PKCS12' | 'PEM' } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(spec.path);
  } catch (err) {
    throw config(`cannot read ${key} ${spec.path}: ${(err as Error).message}`, err);
  }
  if (bytes.length >= 4 && (bytes.readUInt32BE(0) === JKS_MAGIC || bytes.readUInt32BE(0) === JCEKS_MAGIC)) {
    throw config(jksRemedy(spec.path, key));
  }
  const type = checkStoreType(spec.type, spec.path, key);
  return { bytes, type };
}

/**
 * Loads a server keystore (or a client certificate store): PKCS12 → `{ pfx, passphrase }`,
 * PEM (key and certificate chain in one file) → `{ key, cert }`. Throws SLUICE_ERR_CONFIG.
 */
export function readKeystore(
  spec: StoreSpec,
): { pfx: Buffer; passphrase?: string; key?: undefined; cert?: undefined } | { key: Buffer; cert: Buffer; pfx?: undefined } {
  const name = spec.key ?? 'keystore';
  const { bytes, type } = readStore(spec, name);
  if (type === 'PEM') {
    const text = bytes.toString('utf8');
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text) || !text.includes('-----BEGIN CERTIFICATE-----')) {
      throw config(`${name} ${spec.path} must hold a PEM private key and its certificate chain`);
    }
    return { key: bytes, cert: bytes };
  }
  return { pfx: bytes, passphrase: spec.password };
}

/** Loads a truststore: the trusted certificates as PEM, from a PKCS12 or a PEM file. */
export function readTruststore(spec: StoreSpec): { ca: Buffer[] } {
  const name = spec.key ?? 'truststore';
  const { bytes, type } = readStore(spec, name);
  const ca =
    type === 'PEM'
      ? (bytes.toString('utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((p) => Buffer.from(p))
      : readPkcs12Certificates(bytes, spec.password ?? '', `${name} ${spec.path}`);
  if (ca.length === 0) throw config(`${name} ${spec.path} holds no certificate`);
  return { ca };
}
