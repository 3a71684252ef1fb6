/**
 * A Flume TLS hop with Java KeyStores, unchanged: an agent (seq → memory → avro sink, JKS
 * truststore) sends to a collector (avro source with a JKS keystore, Flume's default
 * keystore-type → memory → file_roll), both stores made by `keytool -storetype JKS`. Every event
 * must arrive. A wrong keystore password stops the source with an error naming the file.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, test, type TestContext } from 'node:test';
import { cleanup, tempDir, waitFor, type AgentProcess } from '../support/agent.js';
import { avroSinkProps, collectorConfig, freePort, outputLines, startAgent } from '../support/tiers.js';

const EVENTS = 20_000;
const dir = tempDir('tier-tls-jks');
after(() => cleanup(dir));

/** A JKS keystore with a key for 127.0.0.1/localhost and a JKS truststore with its certificate, or why not. */
function makeJksStores(): { keystore: string; truststore: string } | string {
  mkdirSync(dir, { recursive: true });
  const keystore = join(dir, 'server.jks');
  const truststore = join(dir, 'trust.jks');
  const der = join(dir, 'server.der');
  const store = ['-storepass', 'changeit'];
  try {
    const keytool = (args: string[]) => execFileSync('keytool', args, { stdio: 'ignore', timeout: 60_000 });
    keytool(['-genkeypair', '-storetype', 'JKS', '-keystore', keystore, ...store, '-keypass', 'changeit', '-alias', 'collector', '-keyalg', 'RSA', '-keysize', '2048', '-dname', 'CN=localhost', '-ext', 'SAN=IP:127.0.0.1,DNS:localhost', '-validity', '2']);
    keytool(['-exportcert', '-keystore', keystore, ...store, '-alias', 'collector', '-file', der]);
    keytool(['-importcert', '-noprompt', '-storetype', 'JKS', '-keystore', truststore, ...store, '-alias', 'collector-ca', '-file', der]);
  } catch (err) {
    return `keytool could not make JKS stores: ${(err as Error).message}`;
  }
  return { keystore, truststore };
}

let stores: ReturnType<typeof makeJksStores> | undefined;
/** The stores, or undefined after skipping the test; under CI a missing keytool fails it (scripts/ci-deps.sh installs it). */
function jksStores(t: TestContext): { keystore: string; truststore: string } | undefined {
  stores ??= makeJksStores();
  if (typeof stores !== 'string') return stores;
  if (process.env['CI'] === 'true') throw new Error(`${stores}: CI must provide keytool`);
  t.skip(stores);
  return undefined;
}

test(`an avro hop over TLS with JKS keystore and truststore delivers all ${EVENTS.toLocaleString('en-US')} events`, async (t) => {
  const jks = jksStores(t);
  if (jks === undefined) return;
  const port = await freePort();
  const out = join(dir, 'collector', 'out');
  // Flume's keys as a Flume user writes them: keystore-type left to its default (JKS).
  const collector = startAgent(join(dir, 'collector'), 'collector', collectorConfig('collector', port, out, { source: { ssl: true, keystore: jks.keystore, 'keystore-password': 'changeit' } }));
  let edge: AgentProcess | undefined;
  try {
    await collector.ready();
    const confEdge =
      `e.sources = r1
e.channels = c1
e.sinks = k1
e.sources.r1.type = seq
e.sources.r1.totalEvents = ${EVENTS}
e.sources.r1.batchSize = 500
e.sources.r1.channels = c1
e.channels.c1.type = memory
e.channels.c1.capacity = 10000
e.channels.c1.transactionCapacity = 1000
` + avroSinkProps('e', 'k1', port, { 'batch-size': 500, ssl: true, truststore: jks.truststore, 'truststore-password': 'changeit', 'truststore-type': 'JKS' });
    edge = startAgent(join(dir, 'edge'), 'e', confEdge);
    await edge.ready();
    await waitFor('every event at the collector', () => (outputLines(out).length >= EVENTS ? true : undefined), 60_000);
    await waitFor(
      'both ends to count every event',
      () => (edge!.counter('SINK.k1', 'EventDrainSuccessCount') >= EVENTS && collector.counter('SOURCE.r1', 'EventAcceptedCount') >= EVENTS ? true : undefined),
      10_000,
    );
    const lines = outputLines(out);
    const seen = new Set(lines);
    const lost: number[] = [];
    for (let i = 0; i < EVENTS; i++) if (!seen.has(String(i))) lost.push(i);
    assert.deepEqual(lost.slice(0, 10), [], `${lost.length} events lost`);
    assert.equal(lines.length, EVENTS, 'each event once');
    assert.equal(collector.counter('SOURCE.r1', 'EventAcceptedCount'), EVENTS);
    assert.equal(edge.counter('SINK.k1', 'ConnectionFailedCount'), 0, 'the TLS handshake never failed');
  } finally {
    await Promise.all([edge?.stop(), collector.stop()].map((p) => p?.catch(() => undefined)));
  }
});

test('a wrong JKS keystore password stops the avro source with an error naming the file', async (t) => {
  const jks = jksStores(t);
  if (jks === undefined) return;
  const port = await freePort();
  const agent = startAgent(join(dir, 'wrong'), 'w', collectorConfig('w', port, join(dir, 'wrong', 'out'), { source: { ssl: true, keystore: jks.keystore, 'keystore-password': 'not-the-password' } }));
  try {
    const expected = `keystore ${jks.keystore}: wrong password or corrupt JKS file (keystore-password)`;
    await waitFor('the source to report the wrong password', () => (agent.output.includes(expected) ? true : undefined), 30_000);
    assert.ok(!agent.output.includes('not-the-password'), 'the password is never logged');
  } finally {
    await agent.stop().catch(() => undefined);
  }
});
