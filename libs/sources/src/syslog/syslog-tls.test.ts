import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { connect } from 'node:tls';
import { makeTestCertFiles } from '@sluice/avro-rpc/testing';
import { configFor } from '@sluice/config/testing';
import { waitUntil } from '@sluice/testkit';
import { syslogTcpSource } from './syslog-tcp-factory.js';
import type { SyslogTcpSource } from './syslog-tcp-source.js';
import { testSourceContext } from './syslog-test-support.js';

const files = makeTestCertFiles();
// Skipped with the reason where openssl is missing, but CI installs it (scripts/ci-deps.sh): fail there.
if (typeof files === 'string' && process.env['CI'] === 'true') throw new Error(`${files}: CI must provide openssl`);
const skip = typeof files === 'string' ? files : false;
after(() => {
  if (typeof files !== 'string') files.remove();
});

test('ssl: messages over TLS from a PKCS12 keystore arrive like plain ones', { skip }, async () => {
  if (typeof files === 'string') return;
  const ctx = testSourceContext();
  const config = configFor(syslogTcpSource, { host: '127.0.0.1', port: 0, ssl: true, keystore: files.p12, 'keystore-password': 'changeit' });
  const source = syslogTcpSource.create(config, ctx) as SyslogTcpSource;
  await source.start();
  const socket = connect({ host: '127.0.0.1', port: source.addresses()[0]!.port, ca: readFileSync(files.cert), servername: 'localhost' });
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', () => resolve());
    socket.once('error', reject);
  });
  const message = '<13>1 2026-12-08T10:20:30Z web app - - - over tls';
  socket.end(`<13>Dec  8 10:20:30 web tag: one\n${message.length} ${message}`);
  await waitUntil(() => ctx.events.length === 2, 'two events');
  assert.deepEqual(ctx.events.map((e) => e.body.toString()), ['tag: one', 'app - - - over tls']);
  await source.stop();
});

test('ssl: a keystore is required; Java cipher-suite names are refused', () => {
  assert.throws(() => configFor(syslogTcpSource, { host: '127.0.0.1', port: 1, ssl: true }), /ssl = true needs keystore/);
  assert.throws(
    () => configFor(syslogTcpSource, { host: '127.0.0.1', port: 1, 'include-cipher-suites': 'TLS_AES_128_GCM_SHA256' }),
    /Java cipher-suite names are not supported/,
  );
});
