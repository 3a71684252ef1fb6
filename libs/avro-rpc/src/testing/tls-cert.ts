import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCert {
  readonly key: Buffer;
  readonly cert: Buffer;
  /** The same key and certificate as PKCS#12, protected by `passphrase`. */
  readonly pfx: Buffer;
  readonly passphrase: string;
}

/**
 * A throwaway self-signed certificate for 127.0.0.1 / localhost, made with the `openssl` command.
 * Returns a reason string instead when openssl is not available (tests skip with it).
 */
export function makeTestCert(): TestCert | string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-avro-tls-'));
  try {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    const p12 = join(dir, 'ks.p12');
    const run = (args: string[]): void => {
      execFileSync('openssl', args, { stdio: 'ignore', timeout: 20_000 });
    };
    run([
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ]);
    run(['pkcs12', '-export', '-in', cert, '-inkey', key, '-out', p12, '-passout', 'pass:changeit']);
    return { key: readFileSync(key), cert: readFileSync(cert), pfx: readFileSync(p12), passphrase: 'changeit' };
  } catch (err) {
    return `openssl could not make a test certificate: ${(err as Error).message}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
