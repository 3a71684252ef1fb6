import assert from 'node:assert/strict';
import { test } from 'node:test';
import { register as globalRegistry } from 'prom-client';
import { PrometheusExporter, prometheusName, snakeCase } from './prometheus.js';
import { parsePrometheusText, type PromSample } from './prometheus-text.js';
import { agent, component, worker } from './test-fixtures.js';

function find(samples: readonly PromSample[], name: string, labels: Record<string, string>): PromSample[] {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

function value(samples: readonly PromSample[], name: string, labels: Record<string, string>): number {
  const found = find(samples, name, labels);
  assert.equal(found.length, 1, `${name} ${JSON.stringify(labels)}: ${found.length} samples`);
  return found[0]!.value;
}

test('names: snake case, counters lose _count and get _total, gauges are kept whole', () => {
  assert.equal(snakeCase('EventPutSuccessCount'), 'event_put_success_count');
  assert.equal(snakeCase('RSSBytes'), 'rss_bytes');
  assert.equal(snakeCase('Weird-Name 2x'), 'weird_name_2x');
  assert.equal(prometheusName('CHANNEL', 'EventPutSuccessCount'), 'sluice_channel_event_put_success_total');
  assert.equal(prometheusName('SOURCE', 'EventReadFail'), 'sluice_source_event_read_fail_total');
  assert.equal(prometheusName('SINK_PROCESSOR', 'FailoverCount'), 'sluice_sink_processor_failover_total');
  assert.equal(prometheusName('CHANNEL', 'ChannelSize'), 'sluice_channel_channel_size');
  assert.equal(prometheusName('SOURCE', 'OpenConnectionCount'), 'sluice_source_open_connection_count');
  assert.equal(prometheusName('CHANNEL', 'Unhealthy'), 'sluice_channel_unhealthy');
});

test('component counters and gauges with agent, component and type labels', async () => {
  const exporter = new PrometheusExporter();
  assert.match(exporter.contentType, /^text\/plain; version=0\.0\.4/);
  const { samples, types } = parsePrometheusText(await exporter.render(agent()));
  const c1 = { agent: 'a1', component: 'c1', type: 'memory' };
  assert.equal(value(samples, 'sluice_channel_event_put_success_total', c1), 25);
  assert.equal(types.get('sluice_channel_event_put_success_total'), 'counter');
  assert.equal(value(samples, 'sluice_channel_channel_size', c1), 5);
  assert.equal(types.get('sluice_channel_channel_size'), 'gauge');
  assert.equal(value(samples, 'sluice_channel_channel_fill_percentage', c1), 12.5);
  assert.equal(value(samples, 'sluice_sink_event_drain_success_total', { component: 'k1', type: 'logger' }), 20);
  assert.equal(value(samples, 'sluice_sink_connection_failed_total', { component: 'k1' }), 0, "Flume's counters not maintained are 0");
  assert.equal(value(samples, 'sluice_source_open_connection_count', { component: 'r1', type: 'netcat' }), 1);
  assert.equal(types.get('sluice_source_open_connection_count'), 'gauge');
  for (const [name, type] of types) {
    if (name.startsWith('sluice_worker_')) continue;
    assert.equal(type === 'counter', name.endsWith('_total'), name);
  }
});

test('worker metrics: up, failed, restarts, uptime, memory', async () => {
  const exporter = new PrometheusExporter();
  const snapshot = agent({
    components: [],
    workers: [
      worker({ id: 'sink:g1', type: 'failover', restarts: 3, uptimeMs: 2500, rssBytes: 1000 }),
      worker({ id: 'source:r1', type: 'netcat', state: 'failed', pid: null, restarts: 20, uptimeMs: 0, rssBytes: null, failure: 'too many restarts' }),
    ],
  });
  const { samples, types } = parsePrometheusText(await exporter.render(snapshot));
  const g1 = { agent: 'a1', worker: 'sink:g1', kind: 'sink', type: 'failover' };
  const r1 = { worker: 'source:r1', kind: 'source', type: 'netcat' };
  assert.equal(value(samples, 'sluice_worker_up', g1), 1);
  assert.equal(value(samples, 'sluice_worker_failed', g1), 0);
  assert.equal(value(samples, 'sluice_worker_restarts_total', g1), 3);
  assert.equal(types.get('sluice_worker_restarts_total'), 'counter');
  assert.equal(value(samples, 'sluice_worker_uptime_seconds', g1), 2.5);
  assert.equal(value(samples, 'sluice_worker_resident_memory_bytes', g1), 1000);
  assert.equal(value(samples, 'sluice_worker_up', r1), 0);
  assert.equal(value(samples, 'sluice_worker_failed', r1), 1);
  assert.equal(find(samples, 'sluice_worker_resident_memory_bytes', r1).length, 0, 'no RSS reported: no sample');
});

test('each render shows the snapshot\'s values; components removed by a reload disappear', async () => {
  const exporter = new PrometheusExporter();
  await exporter.render(agent());
  const later = agent({
    workers: [worker({ id: 'channel:c1' })],
    components: [component({ key: 'CHANNEL.c1', values: { ChannelSize: 0, ChannelCapacity: 40, EventPutSuccessCount: 30 } })],
  });
  const text = await exporter.render(later);
  const { samples } = parsePrometheusText(text);
  assert.equal(value(samples, 'sluice_channel_event_put_success_total', { component: 'c1' }), 30);
  assert.equal(value(samples, 'sluice_channel_channel_size', { component: 'c1' }), 0);
  assert.deepEqual(samples.filter((s) => s.labels['component'] === 'k1' || s.labels['component'] === 'r1'), []);
  assert.doesNotMatch(text, /sluice_source_|sluice_sink_/, 'no family left without samples');
  assert.deepEqual(find(samples, 'sluice_worker_up', { worker: 'sink:k1' }), []);
  const empty = await exporter.render(agent({ workers: [], components: [] }));
  assert.equal(empty.trim(), '');
});

test('overlapping renders each see their own snapshot; the global registry is untouched', async () => {
  const exporter = new PrometheusExporter();
  const snap = (n: number) => agent({ workers: [], components: [component({ key: 'SOURCE.r1', values: { EventAcceptedCount: n } })] });
  const [a, b] = await Promise.all([exporter.render(snap(1)), exporter.render(snap(2))]);
  assert.equal(value(parsePrometheusText(a).samples, 'sluice_source_event_accepted_total', {}), 1);
  assert.equal(value(parsePrometheusText(b).samples, 'sluice_source_event_accepted_total', {}), 2);
  assert.doesNotMatch(await globalRegistry.metrics(), /sluice_/);
});

test('label values are escaped; odd values are skipped rather than breaking the scrape', async () => {
  const exporter = new PrometheusExporter();
  const snapshot = agent({
    workers: [],
    components: [component({ key: 'SOURCE.r"1', name: 'r"1\\x', type: 'net\ncat', values: { EventAcceptedCount: Number.NaN, EventReceivedCount: -3, 'My Extra': 4 } })],
  });
  const { samples } = parsePrometheusText(await exporter.render(snapshot));
  const labels = { component: 'r"1\\x', type: 'net\ncat' };
  assert.equal(value(samples, 'sluice_source_my_extra_total', labels), 4);
  assert.deepEqual(find(samples, 'sluice_source_event_accepted_total', labels), []);
  assert.deepEqual(find(samples, 'sluice_source_event_received_total', labels), []);
});
