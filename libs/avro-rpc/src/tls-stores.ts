import { readFileSync } from 'node:fs';
import { SluiceError } from '@sluice/core';
import { JKS_MAGIC, readJksCertificates, readJksKeystore } from './jks-store.js';
import { readPkcs12Certificates } from './pkcs12-certs.js';

/**
 * Flume's TLS key and trust stores (`keystore`, `keystore-password`, `keystore-type`;
 * `truststore`, `truststore-password`, `truststore-type`) turned into Node TLS material.
 * JKS (Flume's default) and PKCS12 are read directly; PEM files are accepted too. Java's JCEKS
 * format cannot be read: it is a start-up error whose message gives the keytool command that
 * converts it.
 */
export interface StoreSpec {
  /** Path of the store file. */
  readonly path: string;
  readonly password?: string;
  /**
   * `JKS` (Flume's default), `PKCS12` or `PEM`; case-insensitive. Absent or empty: taken from the
   * file, as a Java 9+ "JKS" keystore also reads PKCS12 files (PEM text is PEM, anything else PKCS12).
   */
  readonly type?: string;
  /** The Flume key naming this store, for messages (e.g. `keystore`, `truststore`). */
  readonly key?: string;
}

/** Flume's default store type when none is configured. */
export const FLUME_DEFAULT_STORE_TYPE = 'JKS';

const JCEKS_MAGIC = 0xcececece;

type StoreType = 'JKS' | 'PKCS12' | 'PEM';

function config(message: string, cause?: unknown): SluiceError {
  return new SluiceError('SLUICE_ERR_CONFIG', message, { cause });
}

function p12Name(path: string): string {
  return /\.(jks|jceks|keystore|ks)$/i.test(path) ? path.replace(/\.[^./]+$/, '.p12') : `${path}.p12`;
}

/**
 * The remedy for a JCEKS store: convert it with keytool. `X.jceks` becomes `X.p12`.
 * Exposed so configuration checks can give the same message without reading the file.
 */
export function jceksRemedy(path: string, key = 'keystore'): string {
  const dest = p12Name(path);
  return (
    `${key} ${path} is a JCEKS keystore, which Sluice cannot read. Convert it to PKCS12 with ` +
    `\`keytool -importkeystore -srckeystore ${path} -srcstoretype JCEKS -destkeystore ${dest} -deststoretype PKCS12\`, ` +
    `then set ${key} = ${dest} and ${key}-type = PKCS12`
  );
}

/**
 * Checks a configured store type without touching the file: JCEKS throws SLUICE_ERR_CONFIG
 * with the keytool remedy, unknown types throw too. Returns the normalised type.
 */
export function checkStoreType(type: string | undefined, path: string, key = 'keystore'): StoreType {
  const t = (type ?? FLUME_DEFAULT_STORE_TYPE).trim().toUpperCase();
  if (t === 'PKCS12' || t === 'P12' || t === 'PFX') return 'PKCS12';
  if (t === 'PEM') return 'PEM';
  if (t === 'JKS') return 'JKS';
  if (t === 'JCEKS') throw config(jceksRemedy(path, key));
  throw config(`${key}-type ${type} is not supported: use JKS, PKCS12 or PEM`);
}

function readStore(spec: StoreSpec, key: string): { bytes: Buffer; type: StoreType } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(spec.path);
  } catch (err) {
    throw config(`cannot read ${key} ${spec.path}: ${(err as Error).message}`, err);
  }
  const magic = bytes.length >= 4 ? bytes.readUInt32BE(0) : 0;
  if (magic === JCEKS_MAGIC) throw config(jceksRemedy(spec.path, key));
  if (spec.type === undefined || spec.type.trim() === '') {
    const pemText = bytes.subarray(0, 4096).toString('latin1').includes('-----BEGIN');
    return { bytes, type: magic === JKS_MAGIC ? 'JKS' : pemText ? 'PEM' : 'PKCS12' };
  }
  // The content decides between JKS and PKCS12, as Java's keystore.type.compat does.
  const configured = checkStoreType(spec.type, spec.path, key);
  const type = magic === JKS_MAGIC ? 'JKS' : configured === 'JKS' ? 'PKCS12' : configured;
  return { bytes, type };
}

/**
 * Loads a server keystore (or a client certificate store): PKCS12 → `{ pfx, passphrase }`,
 * JKS or PEM (key and certificate chain in one file) → `{ key, cert }`. Throws SLUICE_ERR_CONFIG
 * naming the file, e.g. when the password is wrong.
 */
export function readKeystore(
  spec: StoreSpec,
): { pfx: Buffer; passphrase?: string; key?: undefined; cert?: undefined } | { key: Buffer; cert: Buffer; pfx?: undefined } {
  const name = spec.key ?? 'keystore';
  const { bytes, type } = readStore(spec, name);
  if (type === 'JKS') return readJksKeystore(bytes, spec.password ?? '', `${name} ${spec.path}`);
  if (type === 'PEM') {
    const text = bytes.toString('utf8');
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text) || !text.includes('-----BEGIN CERTIFICATE-----')) {
      throw config(`${name} ${spec.path} must hold a PEM private key and its certificate chain`);
    }
    return { key: bytes, cert: bytes };
  }
  return { pfx: bytes, passphrase: spec.password };
}

/** Loads a truststore: the trusted certificates as PEM, from a JKS, PKCS12 or PEM file. */
export function readTruststore(spec: StoreSpec): { ca: Buffer[] } {
  const name = spec.key ?? 'truststore';
  const { bytes, type } = readStore(spec, name);
  const what = `${name} ${spec.path}`;
  const ca =
    type === 'PEM'
      ? (bytes.toString('utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((p) => Buffer.from(p))
      : type === 'JKS'
        ? readJksCertificates(bytes, spec.password ?? '', what)
        : readPkcs12Certificates(bytes, spec.password ?? '', what);
  if (ca.length === 0) throw config(`${name} ${spec.path} holds no certificate`);
  return { ca };
}
