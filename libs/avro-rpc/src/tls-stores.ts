import { createPrivateKey, X509Certificate } from 'node:crypto';
import * as tls from 'node:tls';
import { SluiceError } from '@sluice/core';
import { JKS_MAGIC, readJksCertificates, readJksKeystore } from './jks-store.js';
import { readKeyFile, passwordProblem, storeError, type StoreRef } from './key-material.js';
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

/** The first byte of a DER-encoded PKCS12 file (a SEQUENCE). */
const DER_SEQUENCE = 0x30;

function readStore(spec: StoreSpec, store: StoreRef): { bytes: Buffer; type: StoreType } {
  const bytes = readKeyFile(store);
  const magic = bytes.length >= 4 ? bytes.readUInt32BE(0) : 0;
  if (magic === JCEKS_MAGIC) throw config(jceksRemedy(store.path, store.key));
  const declared = spec.type === undefined || spec.type.trim() === '' ? undefined : checkStoreType(spec.type, store.path, store.key);
  // The content decides between JKS and PKCS12, as Java's keystore.type.compat does.
  if (magic === JKS_MAGIC) return { bytes, type: 'JKS' };
  const pemText = bytes.subarray(0, 4096).toString('latin1').includes('-----BEGIN');
  if (declared === 'PEM' || (declared === undefined && pemText)) return { bytes, type: 'PEM' };
  if (bytes[0] !== DER_SEQUENCE) {
    const expected = declared === 'PKCS12' ? 'a PKCS12 file' : declared === 'JKS' ? 'a JKS or PKCS12 file' : 'a JKS, PKCS12 or PEM file';
    const hint = pemText ? ` (it holds PEM text: set ${store.key}-type = PEM)` : '';
    throw storeError(store, `not ${expected}${hint}`);
  }
  return { bytes, type: 'PKCS12' };
}

const ENCRYPTED_PEM_KEY = 'the PEM private key is encrypted, which Sluice cannot read (write it unencrypted with `openssl pkey`)';

/** The failure of a keystore's material as Node's TLS loads it, in operator terms. */
function keystoreProblem(err: unknown, store: StoreRef, type: StoreType, password: string): string {
  const message = (err as Error).message;
  if (/mac verify failure|bad decrypt|cipherfinal|decrypt error/i.test(message)) {
    return type === 'PEM' ? ENCRYPTED_PEM_KEY : passwordProblem(store, type, password);
  }
  if (/key values mismatch/i.test(message)) return 'the private key does not match the certificate';
  if (/private key/i.test(message)) return `no private key that ${store.key}-password opens (a keystore holds the server's key and its certificate)`;
  if (/certificate/i.test(message)) return 'no certificate for the private key';
  return `corrupt ${type} file (${message})`;
}

/**
 * Loads the material into a TLS context once, so that a wrong password, a damaged file or a key
 * without its certificate is reported here, naming the store, rather than when the server starts.
 */
function checkKeystore<T extends object>(material: T, store: StoreRef, type: StoreType, password: string): T {
  try {
    tls.createSecureContext(material);
  } catch (err) {
    throw storeError(store, keystoreProblem(err, store, type, password), err);
  }
  return material;
}

/**
 * Loads a server keystore (or a client certificate store): PKCS12 → `{ pfx, passphrase }`,
 * JKS or PEM (key and certificate chain in one file) → `{ key, cert }`. Every failure (missing or
 * unreadable file, wrong password, damaged store, no private key, no certificate) throws
 * SLUICE_ERR_CONFIG `KEY PATH: PROBLEM`, naming the store's key and file but never the password.
 */
export function readKeystore(
  spec: StoreSpec,
): { pfx: Buffer; passphrase?: string; key?: undefined; cert?: undefined } | { key: Buffer; cert: Buffer; pfx?: undefined } {
  const store = { key: spec.key ?? 'keystore', path: spec.path };
  const password = spec.password ?? '';
  const { bytes, type } = readStore(spec, store);
  if (type === 'JKS') return checkKeystore(readJksKeystore(bytes, password, store), store, type, password);
  if (type === 'PEM') {
    const text = bytes.toString('utf8');
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text) || !text.includes('-----BEGIN CERTIFICATE-----')) {
      throw storeError(store, 'not a PEM keystore (it must hold a PEM private key and its certificate chain)');
    }
    return checkKeystore({ key: bytes, cert: bytes }, store, type, password);
  }
  return checkKeystore({ pfx: bytes, passphrase: spec.password }, store, type, password);
}

/**
 * Loads a truststore: the trusted certificates as PEM, from a JKS, PKCS12 or PEM file. Failures
 * throw SLUICE_ERR_CONFIG as {@link readKeystore} does, and so does a store without a certificate.
 */
export function readTruststore(spec: StoreSpec): { ca: Buffer[] } {
  const store = { key: spec.key ?? 'truststore', path: spec.path };
  const password = spec.password ?? '';
  const { bytes, type } = readStore(spec, store);
  const ca = type === 'PEM' ? pemCertificates(bytes, store) : type === 'JKS' ? readJksCertificates(bytes, password, store) : readPkcs12Certificates(bytes, password, store);
  if (ca.length === 0) throw storeError(store, 'no certificate (a truststore holds the CA certificates to trust)');
  return { ca };
}

/**
 * Loads a PEM private key and its certificate chain from two files (the avro source's `ssl-key`
 * and `ssl-cert`). Throws SLUICE_ERR_CONFIG naming the key and file at fault: missing, unreadable,
 * not PEM, an encrypted key, no certificate, or a key that does not match the certificate.
 */
export function readPemKeyPair(keyFile: StoreRef, certFile: StoreRef): { key: Buffer; cert: Buffer } {
  const key = readKeyFile(keyFile);
  const cert = readKeyFile(certFile);
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key.toString('latin1'))) throw storeError(keyFile, 'not a PEM private key');
  try {
    createPrivateKey(key);
  } catch (err) {
    const encrypted = (err as NodeJS.ErrnoException).code === 'ERR_MISSING_PASSPHRASE' || /ENCRYPTED/.test(key.toString('latin1'));
    throw storeError(keyFile, encrypted ? ENCRYPTED_PEM_KEY : `not a readable PEM private key (${(err as Error).message})`, err);
  }
  if (pemCertificates(cert, certFile).length === 0) throw storeError(certFile, 'no PEM certificate');
  try {
    tls.createSecureContext({ key, cert });
  } catch (err) {
    const problem = /key values mismatch/i.test((err as Error).message) ? `does not match the certificate of ${certFile.key} ${certFile.path}` : `cannot be used with ${certFile.key} ${certFile.path} (${(err as Error).message})`;
    throw storeError(keyFile, problem, err);
  }
  return { key, cert };
}

function pemCertificates(bytes: Buffer, store: StoreRef): Buffer[] {
  const blocks = bytes.toString('utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block) => {
    try {
      return Buffer.from(new X509Certificate(block).toString());
    } catch (err) {
      throw storeError(store, `holds a PEM certificate that cannot be read (${(err as Error).message})`, err);
    }
  });
}
