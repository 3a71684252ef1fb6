import { readFileSync } from 'node:fs';
import { SluiceError } from '@sluice/core';

/** A key-material file as the configuration names it: the key (`keystore`, `truststore`, `ssl-key`...) and the path. */
export interface StoreRef {
  readonly key: string;
  readonly path: string;
}

/**
 * SLUICE_ERR_CONFIG `KEY PATH: PROBLEM`, the one form of every key-material error, so the operator
 * sees which setting and which file to fix. `problem` says what is wrong; it never holds a password.
 */
export function storeError(store: StoreRef, problem: string, cause?: unknown): SluiceError {
  return new SluiceError('SLUICE_ERR_CONFIG', `${store.key} ${store.path}: ${problem}`, { cause });
}

/**
 * The problem of a password that does not open a store. JKS and PKCS12 cannot tell a wrong
 * password from a damaged file (both fail the integrity check), so the text names both, and the
 * password key to check.
 */
export function passwordProblem(store: StoreRef, format: string, password: string): string {
  return password === ''
    ? `no password given, or corrupt ${format} file (set ${store.key}-password)`
    : `wrong password or corrupt ${format} file (${store.key}-password)`;
}

function fileProblem(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied (the file must be readable by the user Sluice runs as)';
  if (code === 'EISDIR') return 'is a directory, not a file';
  return `cannot read the file (${(err as Error).message})`;
}

/** The bytes of a key-material file; SLUICE_ERR_CONFIG naming the key and the path when it is missing, unreadable or empty. */
export function readKeyFile(store: StoreRef): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(store.path);
  } catch (err) {
    throw storeError(store, fileProblem(err), err);
  }
  if (bytes.length === 0) throw storeError(store, 'the file is empty');
  return bytes;
}
