import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Files of a throwaway self-signed certificate for 127.0.0.1/localhost (exported for the avro source and sink tests). */
export interface TestCertFiles {
  readonly dir: string;
  readonly key: string;
  readonly cert: string;
  /** PKCS#12 with key and certificate, password `changeit`. */
  readonly p12: string;
  /** A file that starts like a JCEKS keystore (magic 0xCECECECE), which Sluice refuses. */
  readonly jceks: string;
  /** The same key and certificate in a JKS keystore made by keytool (password `changeit`); undefined without keytool. */
  readonly jks: string | undefined;
  /** The certificate in a JKS truststore made by keytool (password `changeit`); undefined without keytool. */
  readonly jksTrust: string | undefined;
  remove(): void;
}

/** Makes the files with the `openssl` command; a reason string when openssl is missing (tests skip). */
export function makeTestCertFiles(): TestCertFiles | string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-avro-cert-'));
  const files = { key: join(dir, 'key.pem'), cert: join(dir, 'cert.pem'), p12: join(dir, 'ks.p12'), jceks: join(dir, 'ks.jceks') };
  try {
    const run = (args: string[]): void => void execFileSync('openssl', args, { stdio: 'ignore', timeout: 20_000 });
    run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', files.key, '-out', files.cert, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost']);
    run(['pkcs12', '-export', '-in', files.cert, '-inkey', files.key, '-out', files.p12, '-passout', 'pass:changeit']);
    writeFileSync(files.jceks, Buffer.concat([Buffer.from([0xce, 0xce, 0xce, 0xce, 0, 0, 0, 2]), readFileSync(files.cert)]));
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    return `openssl could not make a test certificate: ${(err as Error).message}`;
  }
  const jks = join(dir, 'ks.jks');
  const jksTrust = join(dir, 'trust.jks');
  const keytool = (args: string[]): boolean => {
    try {
      execFileSync('keytool', args, { stdio: 'ignore', timeout: 30_000 });
      return true;
    } catch {
      return false;
    }
  };
  const store = ['-storepass', 'changeit'];
  const madeJks = keytool(['-importkeystore', '-noprompt', '-srckeystore', files.p12, '-srcstoretype', 'PKCS12', '-srcstorepass', 'changeit', '-destkeystore', jks, '-deststoretype', 'JKS', '-deststorepass', 'changeit', '-destkeypass', 'changeit']);
  const madeTrust = keytool(['-importcert', '-noprompt', '-alias', 'ca', '-file', files.cert, '-keystore', jksTrust, '-storetype', 'JKS', ...store]);
  return { dir, ...files, jks: madeJks ? jks : undefined, jksTrust: madeTrust ? jksTrust : undefined, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
