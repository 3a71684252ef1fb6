import { X509Certificate } from 'node:crypto';
import { decrypt, parseJks } from 'jks-js';
import { passwordProblem, storeError, type StoreRef } from './key-material.js';

/** The magic number that starts a Java KeyStore (JKS) file. */
export const JKS_MAGIC = 0xfeedfeed;

function pem(der: Buffer, store: StoreRef): string {
  try {
    return new X509Certificate(der).toString();
  } catch (err) {
    throw storeError(store, `holds a certificate that cannot be read (${(err as Error).message})`, err);
  }
}

interface JksEntry {
  readonly alias: string;
  /** Set on a trusted certificate entry. */
  readonly cert?: { readonly value: Buffer };
  /** Set on a private key entry: its certificate chain, the key's own certificate first. */
  readonly chain?: readonly { readonly value: Buffer }[];
  readonly protectedPrivateKey?: Buffer;
}

/**
 * The entries of a JKS file. The password checks the file's integrity (keytool's keyed SHA-1);
 * without one the entries are read unchecked, as Java does for a truststore opened without a
 * password. `store` names the store in messages.
 */
function entries(bytes: Buffer, password: string, store: StoreRef): JksEntry[] {
  try {
    return parseJks(bytes, password) as unknown as JksEntry[];
  } catch (err) {
    const message = (err as Error).message;
    if (/password verification failed/i.test(message)) throw storeError(store, passwordProblem(store, 'JKS', password), err);
    throw storeError(store, `corrupt JKS file (${message})`, err);
  }
}

/**
 * A server (or client) key and certificate chain from a JKS keystore, as PEM. The private key is
 * decrypted with the store password, as Flume does (it has no separate key password). With several
 * private key entries the first in the file is used.
 */
export function readJksKeystore(bytes: Buffer, password: string, store: StoreRef): { key: Buffer; cert: Buffer } {
  const keyEntries = entries(bytes, password, store).filter((e) => e.protectedPrivateKey !== undefined);
  const entry = keyEntries[0];
  if (entry === undefined) throw storeError(store, "no private key entry (a keystore holds the server's key and its certificate)");
  let key: string;
  try {
    key = decrypt(entry.protectedPrivateKey!, password);
  } catch (err) {
    const problem =
      password === ''
        ? passwordProblem(store, 'JKS', password)
        : `the private key of entry "${entry.alias}" cannot be decrypted with ${store.key}-password (its key password must be the store password, as in Flume)`;
    throw storeError(store, problem, err);
  }
  const chain = (entry.chain ?? []).map((c) => pem(c.value, store));
  if (chain.length === 0) throw storeError(store, `entry "${entry.alias}" has no certificate`);
  return { key: Buffer.from(key), cert: Buffer.from(chain.join('')) };
}

/**
 * The certificates a JKS truststore makes trusted, as PEM: every trusted certificate entry, and
 * the own certificate of every private key entry (as Java's trust manager does).
 */
export function readJksCertificates(bytes: Buffer, password: string, store: StoreRef): Buffer[] {
  const out: Buffer[] = [];
  for (const e of entries(bytes, password, store)) {
    const der = e.cert?.value ?? e.chain?.[0]?.value;
    if (der !== undefined) out.push(Buffer.from(pem(der, store)));
  }
  return out;
}
