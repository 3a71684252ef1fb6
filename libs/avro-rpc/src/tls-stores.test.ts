import { requireOrSkip } from '@sluice/core/testing';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { encodeBatch, SluiceError, textEvent } from '@sluice/core';
import { createAvroClient } from './avro-client.js';
import { createAvroServer } from './avro-server.js';
import { memoryLogger } from '@sluice/testkit';
import { makeTestCert } from './testing/tls-cert.js';
import { checkStoreType, readKeystore, readPemKeyPair, readTruststore } from './tls-stores.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-stores-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function configError(pattern: RegExp) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof SluiceError, String(err));
    assert.equal(err.code, 'SLUICE_ERR_CONFIG');
    assert.match(err.message, pattern);
    return true;
  };
}

/** A password used only to show that it never reaches a message. */
const SECRET = 'hunter2-do-not-print';

/** SLUICE_ERR_CONFIG that starts `KEY PATH: `, says `problem`, and does not hold the password. */
function storeError(key: string, path: string, problem: RegExp, password = SECRET) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof SluiceError, String(err));
    assert.equal(err.code, 'SLUICE_ERR_CONFIG');
    assert.ok(err.message.startsWith(`${key} ${path}: `), err.message);
    assert.match(err.message, problem);
    assert.ok(!err.message.includes(password), `the password is in the message: ${err.message}`);
    return true;
  };
}

const WRONG_PASSWORD = (format: string, key: string) => new RegExp(`: wrong password or corrupt ${format} file \\(${key}-password\\)$`);

const REMEDY = /keytool -importkeystore -srckeystore \/etc\/flume\/server\.jceks -srcstoretype JCEKS -destkeystore \/etc\/flume\/server\.p12 -deststoretype PKCS12/;

describe('store types', () => {
  test('JKS (declared, or Flume’s default), PKCS12 and PEM are accepted; JCEKS gives the keytool command', () => {
    assert.equal(checkStoreType('JKS', '/etc/flume/server.jks'), 'JKS');
    assert.equal(checkStoreType('jks', '/etc/flume/server.jks'), 'JKS');
    assert.equal(checkStoreType(undefined, '/etc/flume/server.jks'), 'JKS');
    assert.throws(() => checkStoreType('JCEKS', '/etc/flume/server.jceks'), configError(REMEDY));
    assert.throws(() => checkStoreType('BKS', '/x'), configError(/BKS is not supported: use JKS, PKCS12 or PEM/));
    assert.equal(checkStoreType('PKCS12', '/x'), 'PKCS12');
    assert.equal(checkStoreType('pkcs12', '/x'), 'PKCS12');
    assert.equal(checkStoreType('PEM', '/x'), 'PEM');
  });

  test('a file in JCEKS format is refused with the remedy even when declared PKCS12', () => {
    const jceks = join(dir, 'agent.jceks');
    writeFileSync(jceks, Buffer.from('cececece0000000200000000', 'hex'));
    assert.throws(() => readKeystore({ path: jceks, type: 'PKCS12', password: 'x' }), configError(/keytool -importkeystore -srckeystore .*agent\.jceks -srcstoretype JCEKS -destkeystore .*agent\.p12/));
    assert.throws(() => readTruststore({ path: jceks, type: 'PKCS12' }), configError(/truststore .*agent\.jceks is a JCEKS keystore/));
  });

  test('a damaged JKS file is a config error naming it', () => {
    const jks = join(dir, 'short.jks');
    writeFileSync(jks, Buffer.from('feedfeed0000000200000001', 'hex'));
    assert.throws(() => readTruststore({ path: jks, password: SECRET }), storeError('truststore', jks, /corrupt JKS file/));
    assert.throws(() => readKeystore({ path: jks, password: SECRET }), storeError('keystore', jks, /corrupt JKS file/));
  });
});

describe('key-material errors name the key and the file, never the password', () => {
  test('a missing file', () => {
    const missing = join(dir, 'nope.p12');
    assert.throws(() => readKeystore({ path: missing, type: 'PKCS12', password: SECRET }), storeError('keystore', missing, /: no such file$/));
    assert.throws(() => readTruststore({ path: missing, password: SECRET, key: 'truststore' }), storeError('truststore', missing, /: no such file$/));
    assert.throws(() => readPemKeyPair({ key: 'ssl-key', path: missing }, { key: 'ssl-cert', path: missing }), storeError('ssl-key', missing, /: no such file$/));
  });

  test('a directory and an empty file', () => {
    const empty = join(dir, 'empty.p12');
    writeFileSync(empty, '');
    assert.throws(() => readKeystore({ path: dir, password: SECRET }), storeError('keystore', dir, /is a directory/));
    assert.throws(() => readTruststore({ path: empty, password: SECRET }), storeError('truststore', empty, /the file is empty/));
  });

  test('a garbage file, with the type taken from the file or declared', () => {
    const garbage = join(dir, 'garbage.p12');
    writeFileSync(garbage, Buffer.from('this is not a key store\n'.repeat(20)));
    assert.throws(() => readKeystore({ path: garbage, password: SECRET }), storeError('keystore', garbage, /: not a JKS, PKCS12 or PEM file$/));
    assert.throws(() => readKeystore({ path: garbage, password: SECRET, type: 'PKCS12' }), storeError('keystore', garbage, /: not a PKCS12 file$/));
    assert.throws(() => readTruststore({ path: garbage, password: SECRET, type: 'JKS' }), storeError('truststore', garbage, /: not a JKS or PKCS12 file$/));
    const der = join(dir, 'garbage.der');
    writeFileSync(der, Buffer.from('3082ffff0102030405060708', 'hex'));
    assert.throws(() => readKeystore({ path: der, password: SECRET }), storeError('keystore', der, /corrupt PKCS12 file/));
    assert.throws(() => readTruststore({ path: der, password: SECRET }), storeError('truststore', der, /corrupt PKCS12 file/));
  });
});

const cert = makeTestCert();
// Skipped with the reason where openssl is missing, but CI installs it (scripts/ci-deps.sh): fail there.
if (typeof cert === 'string' && process.env['CI'] === 'true') throw new Error(`${cert}: CI must provide openssl`);
const opensslSkip = typeof cert === 'string' ? cert : false;

function tool(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore', timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

describe('PKCS12 and PEM stores', { skip: opensslSkip }, () => {
  if (typeof cert === 'string') return;
  const tc = cert;
  const certPem = join(dir, 'cert.pem');
  const keyPem = join(dir, 'key.pem');
  const ks = join(dir, 'ks.p12');
  writeFileSync(certPem, tc.cert);
  writeFileSync(keyPem, tc.key);
  writeFileSync(ks, tc.pfx);
  const fingerprint = new X509Certificate(tc.cert).fingerprint256;
  const fingerprints = (ca: Buffer[]): string[] => ca.map((c) => new X509Certificate(c).fingerprint256);

  test('certificate-only PKCS12 truststores are read directly (PBES2/AES and legacy 3DES)', () => {
    const aes = join(dir, 'trust-aes.p12');
    const des = join(dir, 'trust-3des.p12');
    assert.ok(tool('openssl', ['pkcs12', '-export', '-nokeys', '-in', certPem, '-out', aes, '-passout', 'pass:changeit']));
    assert.ok(
      tool('openssl', ['pkcs12', '-export', '-nokeys', '-in', certPem, '-out', des, '-passout', 'pass:changeit', '-certpbe', 'PBE-SHA1-3DES', '-macalg', 'sha1']),
    );
    for (const path of [aes, des]) {
      assert.deepEqual(fingerprints(readTruststore({ path, type: 'PKCS12', password: 'changeit' }).ca), [fingerprint]);
    }
    for (const path of [aes, des]) {
      assert.throws(() => readTruststore({ path, type: 'PKCS12', password: SECRET }), storeError('truststore', path, WRONG_PASSWORD('PKCS12', 'truststore')));
    }
    assert.throws(() => readTruststore({ path: aes, password: '' }), storeError('truststore', aes, /no password given, or corrupt PKCS12 file \(set truststore-password\)/));
  });

  test('a truststore written by keytool (PKCS12) is read', (t) => {
    const path = join(dir, 'trust-keytool.p12');
    const made = tool('keytool', ['-importcert', '-noprompt', '-alias', 'ca', '-file', certPem, '-keystore', path, '-storetype', 'PKCS12', '-storepass', 'changeit']);
    if (!requireOrSkip(t, made, 'keytool is not available')) return;
    assert.deepEqual(fingerprints(readTruststore({ path, type: 'PKCS12', password: 'changeit' }).ca), [fingerprint]);
  });

  test('PEM truststore and PEM keystore', () => {
    assert.deepEqual(fingerprints(readTruststore({ path: certPem, type: 'PEM' }).ca), [fingerprint]);
    const both = join(dir, 'both.pem');
    writeFileSync(both, Buffer.concat([tc.key, tc.cert]));
    const k = readKeystore({ path: both, type: 'PEM' });
    assert.ok(k.key && k.cert);
    assert.throws(() => readKeystore({ path: certPem, type: 'PEM' }), storeError('keystore', certPem, /must hold a PEM private key/));
    assert.throws(() => readTruststore({ path: keyPem, type: 'PEM' }), storeError('truststore', keyPem, /no certificate/));
    assert.throws(() => readKeystore({ path: certPem, type: 'PKCS12' }), storeError('keystore', certPem, /set keystore-type = PEM/));
  });

  test('a server keystore and a client truststore from PKCS12 files talk TLS', async () => {
    const trust = join(dir, 'trust-rt.p12');
    assert.ok(tool('openssl', ['pkcs12', '-export', '-nokeys', '-in', certPem, '-out', trust, '-passout', 'pass:changeit']));
    const server = createAvroServer({
      host: '127.0.0.1',
      port: 0,
      logger: memoryLogger().logger,
      tls: readKeystore({ path: ks, type: 'PKCS12', password: tc.passphrase }),
      onAppendBatch: async () => 'OK',
    });
    const { port } = await server.listen();
    const client = createAvroClient({
      host: '127.0.0.1',
      port,
      tls: readTruststore({ path: trust, type: 'PKCS12', password: 'changeit' }),
      requestTimeoutMs: 3000,
    });
    try {
      assert.equal(await client.appendBatch(encodeBatch([textEvent('over TLS')])), 'OK');
    } finally {
      await client.close();
      await server.close();
    }
  });

  test('a wrong PKCS12 keystore password is found when the store is read, naming the file', () => {
    assert.throws(() => readKeystore({ path: ks, type: 'PKCS12', password: SECRET }), storeError('keystore', ks, WRONG_PASSWORD('PKCS12', 'keystore')));
    assert.throws(() => readKeystore({ path: ks, password: SECRET }), storeError('keystore', ks, WRONG_PASSWORD('PKCS12', 'keystore')));
    assert.throws(() => readKeystore({ path: ks }), storeError('keystore', ks, /no password given, or corrupt PKCS12 file \(set keystore-password\)/));
  });

  test('a PKCS12 keystore without a private key is a config error naming it', () => {
    const trust = join(dir, 'certs-only.p12');
    assert.ok(tool('openssl', ['pkcs12', '-export', '-nokeys', '-in', certPem, '-out', trust, '-passout', 'pass:changeit']));
    assert.throws(() => readKeystore({ path: trust, password: 'changeit' }), storeError('keystore', trust, /no private key/, 'changeit'));
  });

  test('the PEM pair: a key that is not PEM, an encrypted key, a key of another certificate', () => {
    const keyFile = { key: 'ssl-key', path: keyPem };
    const certFile = { key: 'ssl-cert', path: certPem };
    assert.ok(readPemKeyPair(keyFile, certFile).key.equals(tc.key));
    assert.throws(() => readPemKeyPair({ key: 'ssl-key', path: certPem }, certFile), storeError('ssl-key', certPem, /not a PEM private key/));
    assert.throws(() => readPemKeyPair(keyFile, { key: 'ssl-cert', path: keyPem }), storeError('ssl-cert', keyPem, /no PEM certificate/));
    const encrypted = join(dir, 'key-encrypted.pem');
    assert.ok(tool('openssl', ['pkey', '-in', keyPem, '-aes256', '-passout', `pass:${SECRET}`, '-out', encrypted]));
    assert.throws(() => readPemKeyPair({ key: 'ssl-key', path: encrypted }, certFile), storeError('ssl-key', encrypted, /encrypted/));
    const other = join(dir, 'other-key.pem');
    assert.ok(tool('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', other]));
    assert.throws(() => readPemKeyPair({ key: 'ssl-key', path: other }, certFile), storeError('ssl-key', other, new RegExp(`does not match the certificate of ssl-cert ${certPem}`)));
  });
});

describe('JKS stores made by keytool', () => {
  const made = tool('keytool', ['-help']);
  const ks = join(dir, 'server.jks');
  const trust = join(dir, 'trust.jks');
  const der = join(dir, 'server.der');
  const both = join(dir, 'both.jks');
  if (made) {
    const store = ['-storepass', 'changeit'];
    const gen = (path: string, alias: string) =>
      tool('keytool', ['-genkeypair', '-storetype', 'JKS', '-keystore', path, ...store, '-keypass', 'changeit', '-alias', alias, '-keyalg', 'RSA', '-keysize', '2048', '-dname', 'CN=localhost', '-ext', 'SAN=IP:127.0.0.1,DNS:localhost', '-validity', '2']);
    assert.ok(gen(ks, 'server'));
    assert.ok(tool('keytool', ['-exportcert', '-keystore', ks, ...store, '-alias', 'server', '-file', der]));
    assert.ok(tool('keytool', ['-importcert', '-noprompt', '-storetype', 'JKS', '-keystore', trust, ...store, '-alias', 'ca', '-file', der]));
    assert.ok(gen(both, 'own'));
    assert.ok(tool('keytool', ['-importcert', '-noprompt', '-storetype', 'JKS', '-keystore', both, ...store, '-alias', 'peer', '-file', der]));
  }

  test('a JKS keystore (private key entry) and a JKS truststore (trusted certificate entry) talk TLS', async (t) => {
    if (!requireOrSkip(t, made, 'keytool is not available')) return;
    const key = readKeystore({ path: ks, password: 'changeit' });
    assert.ok(key.key !== undefined && key.cert !== undefined);
    const serverCert = new X509Certificate(readFileSync(der)).fingerprint256;
    assert.equal(new X509Certificate(key.cert).fingerprint256, serverCert);
    const trusted = readTruststore({ path: trust, password: 'changeit', type: 'JKS' });
    assert.deepEqual(trusted.ca.map((c) => new X509Certificate(c).fingerprint256), [serverCert]);
    const server = createAvroServer({ host: '127.0.0.1', port: 0, logger: memoryLogger().logger, tls: key, onAppendBatch: async () => 'OK' });
    const { port } = await server.listen();
    const client = createAvroClient({ host: '127.0.0.1', port, tls: trusted, requestTimeoutMs: 3000 });
    try {
      assert.equal(await client.appendBatch(encodeBatch([textEvent('over TLS, JKS')])), 'OK');
    } finally {
      await client.close();
      await server.close();
    }
  });

  test('a truststore trusts its certificate entries and the certificates of its key entries; no password reads it unchecked', (t) => {
    if (!requireOrSkip(t, made, 'keytool is not available')) return;
    assert.equal(readTruststore({ path: both, password: 'changeit' }).ca.length, 2);
    assert.equal(readTruststore({ path: trust }).ca.length, 1);
  });

  test('a wrong password is a config error naming the key and the file', (t) => {
    if (!requireOrSkip(t, made, 'keytool is not available')) return;
    assert.throws(() => readKeystore({ path: ks, password: SECRET }), storeError('keystore', ks, WRONG_PASSWORD('JKS', 'keystore')));
    assert.throws(() => readKeystore({ path: ks, password: SECRET, type: 'JKS' }), storeError('keystore', ks, WRONG_PASSWORD('JKS', 'keystore')));
    assert.throws(() => readTruststore({ path: trust, password: SECRET }), storeError('truststore', trust, WRONG_PASSWORD('JKS', 'truststore')));
    assert.throws(() => readKeystore({ path: ks }), storeError('keystore', ks, /no password given, or corrupt JKS file \(set keystore-password\)/));
  });

  test('a keystore without a private key entry is a config error naming it', (t) => {
    if (!requireOrSkip(t, made, 'keytool is not available')) return;
    assert.throws(() => readKeystore({ path: trust, password: 'changeit' }), storeError('keystore', trust, /no private key entry/, 'changeit'));
  });
});
