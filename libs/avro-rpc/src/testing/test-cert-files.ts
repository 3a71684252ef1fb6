import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Files of a throwaway self-signed certificate for 127.0.0.1/localhost (a test helper, exported for the avro source and sink tests). */
export interface TestCertFiles {
  readonly dir: string;
  readonly key: string;
  readonly cert: string;
  /** PKCS#12 with key and certificate, password `changeit`. */
  readonly p12: string;
  /** A file that starts like a JKS keystore (magic 0xFEEDFEED). */
  readonly jks: string;
  remove(): void;
}

/** Makes the files with the `openssl` command; a reason string when openssl is missing (tests skip). */
export function makeTestCertFiles(): TestCertFiles | string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-avro-cert-'));
  const files = { key: join(dir, 'key.pem'), cert: join(dir, 'cert.pem'), p12: join(dir, 'ks.p12'), jks: join(dir, 'ks.jks') };
  try {
    const run = (args: string[]): void => void execFileSync('openssl', args, { stdio: 'ignore', timeout: 20_000 });
    run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', files.key, '-out', files.cert, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost']);
    run(['pkcs12', '-export', '-in', files.cert, '-inkey', files.key, '-out', files.p12, '-passout', 'pass:changeit']);
    writeFileSync(files.jks, Buffer.concat([Buffer.from([0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2]), readFileSync(files.cert)]));
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    return `openssl could not make a test certificate: ${(err as Error).message}`;
  }
  return { dir, ...files, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
