/**
 * Three hops: an agent (seq) → avro → collector A → avro (deflate + TLS) → collector B →
 * file_roll, each its own `sluice agent`. 100,000 events in CI; 1,000,000 at full scale
 * (test/support/scale.ts).
 * Headers added by the first agent travel two hops; collector A has an interceptor of its own,
 * so it decodes and re-encodes, while collector B stores the bytes it receives as they are.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cleanup, tally, tempDir, waitFor, type AgentProcess } from '../support/agent.js';
import { scaled } from '../support/scale.js';
import { avroSinkProps, collectorConfig, freePort, makeCert, outputLines, startAgent } from '../support/tiers.js';

const dir = tempDir('tier-chain');
after(() => cleanup(dir));

const SIZE = scaled(100_000, 1_000_000);
const EVENTS = SIZE.count;

test(`three hops deliver ${EVENTS.toLocaleString('en-US')} events with no loss, headers intact`, async () => {
  mkdirSync(dir, { recursive: true });
  const out = join(dir, 'b', 'out');
  const [portA, portB] = [await freePort(), await freePort()];
  const cert = makeCert(dir);
  // CI installs openssl (scripts/ci-deps.sh): there a missing one is a failure, elsewhere the TLS part is skipped.
  if (typeof cert === 'string' && process.env['CI'] === 'true') throw new Error(`${cert}: CI must provide openssl`);
  const tls = typeof cert === 'string' ? undefined : cert;
  if (tls === undefined) console.log(`# ${cert}: the second hop runs without TLS`);

  const hop2 = { 'compression-type': 'deflate', ...(tls ? { ssl: true, keystore: tls.p12, 'keystore-password': 'changeit' } : {}) };
  const confB = collectorConfig('b', portB, out, {
    source: hop2,
    sink: { type: 'file_roll', 'sink.directory': out, 'sink.rollInterval': 0, 'sink.batchSize': 1000, 'sink.serializer': 'header_and_text' },
  });
  const confA =
    collectorConfig('a', portA, '', {
      source: { interceptors: 'i1', 'interceptors.i1.type': 'static', 'interceptors.i1.key': 'collector', 'interceptors.i1.value': 'A' },
      sink: { type: 'avro', hostname: '127.0.0.1', port: portB, 'batch-size': 1000, 'compression-type': 'deflate', ...(tls ? { ssl: true, truststore: tls.cert } : {}) },
    });
  const confEdge =
    `e.sources = r1
e.channels = c1
e.sinks = k1
e.sources.r1.type = seq
e.sources.r1.totalEvents = ${EVENTS}
e.sources.r1.batchSize = 1000
e.sources.r1.channels = c1
e.sources.r1.interceptors = i1
e.sources.r1.interceptors.i1.type = static
e.sources.r1.interceptors.i1.key = tier
e.sources.r1.interceptors.i1.value = edge
e.channels.c1.type = memory
e.channels.c1.capacity = 100000
e.channels.c1.transactionCapacity = 1000
` + avroSinkProps('e', 'k1', portA, { 'batch-size': 1000 });

  const b: AgentProcess = startAgent(join(dir, 'b'), 'b', confB);
  const a: AgentProcess = startAgent(join(dir, 'a'), 'a', confA);
  let edge: AgentProcess | undefined;
  try {
    await Promise.all([b.ready(), a.ready()]);
    const started = Date.now();
    edge = startAgent(join(dir, 'e'), 'e', confEdge);
    await edge.ready();
    await waitFor('every event at the last tier', () => (outputLines(out).length >= EVENTS ? true : undefined), SIZE.stretch(70_000));
    const seconds = (Date.now() - started) / 1000;
    // The output is read once every hop has counted the total: a batch sent twice at any hop
    // shows in that hop's count as well as in the lines.
    const hops = () => [
      edge!.counter('SINK.k1', 'EventDrainSuccessCount'),
      a.counter('SOURCE.r1', 'EventAcceptedCount'),
      a.counter('SINK.k1', 'EventDrainSuccessCount'),
      b.counter('SOURCE.r1', 'EventAcceptedCount'),
      b.counter('SINK.k1', 'EventDrainSuccessCount'),
    ];
    await waitFor('counters of every hop', () => (hops().every((n) => n >= EVENTS) ? true : undefined), 10_000);
    const lines = outputLines(out);
    const bodies = tally(lines.map((l) => l.slice(l.indexOf('} ') + 2)));
    const lost: number[] = [];
    for (let i = 0; i < EVENTS; i++) if (!bodies.has(String(i))) lost.push(i);
    const duplicates = lines.length - bodies.size;
    console.log(`# three hops: ${EVENTS} events in ${seconds.toFixed(1)} s (agent start included), ${lost.length} lost, ${duplicates} duplicated${tls ? ', hop 2 TLS + deflate' : ', hop 2 deflate'}`);
    assert.deepEqual(lost.slice(0, 10), [], `${lost.length} events lost`);
    assert.equal(bodies.size, EVENTS, 'nothing but the sequence arrived');
    assert.equal(duplicates, 0, 'no failure happened, so no duplicate');
    assert.deepEqual(hops(), [EVENTS, EVENTS, EVENTS, EVENTS, EVENTS], 'every hop counted each event once');
    const headers = new Set(lines.map((l) => l.slice(0, l.indexOf('} ') + 1)));
    assert.deepEqual([...headers], ['{tier=edge, collector=A}'], 'the first agent’s header crossed two hops, collector A added its own');
    assert.equal(a.counter('SOURCE.r1', 'AppendBatchReceivedCount'), a.counter('SOURCE.r1', 'AppendBatchAcceptedCount'), 'collector A refused nothing');
    assert.equal(b.counter('SOURCE.r1', 'ChannelWriteFail'), 0);
    assert.equal(a.counter('SINK.k1', 'ConnectionCreatedCount'), 1, 'one long-lived connection per hop');
  } finally {
    await Promise.all([edge?.stop(), a.stop(), b.stop()].map((p) => p?.catch(() => undefined)));
  }
});
