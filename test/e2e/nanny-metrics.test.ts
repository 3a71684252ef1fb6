import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { requireOrSkip } from '@sluice/core/testing';
import { AgentProcess, cleanup, freePort, tempDir, waitFor } from '../support/agent.js';

/*
 * Monitoring: the README example agent started with Flume's
 * `-Dflume.monitoring.type=http -Dflume.monitoring.port=P` serves /metrics in Flume's JSON shape,
 * checked key by key against Flume's attribute names (reference §10, written out here, not taken
 * from the code under test); the totals survive a worker restart; /health says 200; and a real
 * Prometheus server scrapes /metrics/prometheus and answers a PromQL query with the channel's
 * EventPutSuccessCount equal to the number of events sent.
 */

const FLUME = {
  SOURCE: [
    'EventReceivedCount',
    'EventAcceptedCount',
    'AppendReceivedCount',
    'AppendAcceptedCount',
    'AppendBatchReceivedCount',
    'AppendBatchAcceptedCount',
    'OpenConnectionCount',
    'EventReadFail',
    'ChannelWriteFail',
    'GenericProcessingFail',
  ],
  CHANNEL: [
    'ChannelSize',
    'ChannelCapacity',
    'ChannelFillPercentage',
    'EventPutAttemptCount',
    'EventPutSuccessCount',
    'EventTakeAttemptCount',
    'EventTakeSuccessCount',
  ],
  SINK: [
    'ConnectionCreatedCount',
    'ConnectionClosedCount',
    'ConnectionFailedCount',
    'BatchEmptyCount',
    'BatchUnderflowCount',
    'BatchCompleteCount',
    'EventDrainAttemptCount',
    'EventDrainSuccessCount',
    'EventWriteFail',
    'ChannelReadFail',
  ],
} as const;
const COMMON = ['StartTime', 'StopTime', 'Type'];
const EVENTS = 100_000;

const dir = tempDir('metrics');
const children: ChildProcess[] = [];
let agent: AgentProcess | undefined;
after(async () => {
  await agent?.stop(10_000).catch(() => undefined);
  for (const c of children) c.kill('SIGKILL');
  cleanup(dir);
});

type FlumeJson = Record<string, Record<string, string>>;

async function metrics(port: number): Promise<FlumeJson> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  return (await res.json()) as FlumeJson;
}

/** Polls an async check every 200 ms for up to `timeoutMs`. */
async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

let port = 0;

test('/metrics of the README example has every Flume attribute of every component, as strings', async () => {
  const example = readFileSync(resolve(__dirname, '..', '..', '..', 'examples', 'example.properties'), 'utf8');
  const out = join(dir, 'out');
  port = await freePort();
  agent = new AgentProcess(dir, 'a1', example.replace('.run/example/out', out), [
    '-Dflume.monitoring.type=http',
    `-Dflume.monitoring.port=${port}`,
    '--status-interval',
    '100',
  ]);
  await agent.ready();
  const json = await eventually('every event counted', async () => {
    const m = await metrics(port);
    // Each worker reports on its own clock: wait until every one has reported the whole flow.
    const done =
      m['SOURCE.r1']?.['EventAcceptedCount'] === String(EVENTS) &&
      m['CHANNEL.c1']?.['EventTakeSuccessCount'] === String(EVENTS) &&
      m['SINK.k1']?.['EventDrainSuccessCount'] === String(EVENTS) &&
      m['SOURCE.r2']?.['EventAcceptedCount'] === '2' &&
      m['SINK.k2']?.['EventDrainSuccessCount'] === '2';
    return done ? m : undefined;
  });

  const keys = ['SOURCE.r1', 'SOURCE.r2', 'CHANNEL.c1', 'CHANNEL.c2', 'SINK.k1', 'SINK.k2'];
  for (const key of keys) {
    const group = key.split('.')[0] as keyof typeof FLUME;
    const entry = json[key];
    assert.ok(entry, `${key} is in /metrics`);
    for (const name of [...FLUME[group], ...COMMON]) {
      assert.equal(typeof entry[name], 'string', `${key}.${name} is a string`);
    }
    for (const [name, value] of Object.entries(entry)) assert.equal(typeof value, 'string', `${key}.${name} is a string`);
    assert.equal(entry['Type'], group);
    assert.equal(entry['StopTime'], '0', `${key} runs`);
    assert.ok(Number(entry['StartTime']) > Date.now() - 120_000 && Number(entry['StartTime']) <= Date.now(), `${key} StartTime is epoch ms`);
  }
  assert.deepEqual(
    Object.keys(json).filter((k) => !k.startsWith('WORKER.')).sort(),
    [...keys].sort(),
    'no other components',
  );
  assert.equal(json['CHANNEL.c1']!['EventPutSuccessCount'], String(EVENTS));
  assert.equal(json['CHANNEL.c1']!['ChannelSize'], '0');
  assert.equal(json['CHANNEL.c1']!['ChannelCapacity'], '100000');
  assert.equal(json['CHANNEL.c1']!['ChannelFillPercentage'], '0.0');

  // One supervisor entry per worker process, with its pid.
  for (const c of agent.status()!.components) {
    const w = json[`WORKER.${c.id}`];
    assert.ok(w, `WORKER.${c.id} is in /metrics`);
    assert.equal(w['Pid'], String(c.pid));
  }

  const health = await fetch(`http://127.0.0.1:${port}/health`);
  assert.equal(health.status, 200);
});

test('counter totals survive a worker restart', async () => {
  assert.ok(agent);
  const killed = await agent.killWorker('sink:k1');
  // A worker's RssBytes is "0" until its process has sent its first report (counters from 0):
  // the totals must not drop once it has.
  const after = await eventually('the restarted worker reported', async () => {
    const m = await metrics(port);
    const w = m['WORKER.sink:k1'];
    return w?.['Pid'] !== String(killed) && w?.['State'] === 'running' && w['RssBytes'] !== '0' ? m : undefined;
  });
  assert.equal(after['SINK.k1']!['EventDrainSuccessCount'], String(EVENTS), 'the total kept what the killed process had counted');
  assert.equal(after['WORKER.sink:k1']!['Restarts'], '1');
  assert.equal(after['CHANNEL.c1']!['EventTakeSuccessCount'], String(EVENTS));
});

test('a real Prometheus server scrapes the agent; PromQL returns the put count', async (t) => {
  if (!requireOrSkip(t, spawnSync('prometheus', ['--version'], { stdio: 'ignore' }).status === 0, 'prometheus is not installed')) return;
  const promDir = join(dir, 'prometheus');
  mkdirSync(promDir, { recursive: true });
  const config = join(promDir, 'prometheus.yml');
  writeFileSync(
    config,
    `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: sluice\n    metrics_path: /metrics/prometheus\n    static_configs:\n      - targets: ['127.0.0.1:${port}']\n`,
  );
  const promPort = await freePort();
  const prom = spawn(
    'prometheus',
    [`--config.file=${config}`, `--storage.tsdb.path=${join(promDir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`],
    { stdio: 'ignore' },
  );
  children.push(prom);
  const query = encodeURIComponent('sluice_channel_event_put_success_total{agent="a1",component="c1",type="memory"}');
  const value = await eventually(
    'Prometheus to answer the query',
    async () => {
      try {
        const res = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${query}`);
        if (res.status !== 200) return undefined;
        const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
        return body.data.result[0]?.value[1];
      } catch {
        return undefined; // not listening yet
      }
    },
    60_000,
  );
  assert.equal(value, String(EVENTS));
  prom.kill('SIGTERM');
  await waitFor('prometheus stopped', () => (prom.exitCode !== null || prom.signalCode !== null ? true : undefined), 15_000);
});
