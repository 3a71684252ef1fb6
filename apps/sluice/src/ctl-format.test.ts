import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AgentSnapshot, ComponentCounters, WorkerSnapshot } from '@sluice/metrics';
import { computeRates, fillBar, formatDuration, formatRate, formatReload, formatRestart, formatStatus, formatTable, formatTopFrame } from './ctl-format.js';

function worker(id: string, over: Partial<WorkerSnapshot> = {}): WorkerSnapshot {
  const [kind, name] = id.split(':') as [WorkerSnapshot['kind'], string];
  return {
    id,
    kind,
    name,
    type: 'memory',
    pid: 100,
    state: 'running',
    restarts: 0,
    startedAt: 1,
    uptimeMs: 192_000,
    rssBytes: null,
    lastExit: null,
    failure: null,
    ...over,
  };
}

function counters(key: string, worker: string, type: string, values: Record<string, number>): ComponentCounters {
  const [group, name] = key.split('.') as [ComponentCounters['group'], string];
  return { key, group, name, type, worker, startTime: 1, stopTime: 0, values };
}

function snapshot(over: Partial<AgentSnapshot> = {}): AgentSnapshot {
  return {
    agent: 'a1',
    pid: 4242,
    state: 'running',
    startedAt: 1_000_000,
    updatedAt: 1_000_000 + 3_723_000,
    workers: [
      worker('source:r1', { type: 'netcat', pid: 101 }),
      worker('channel:c1', { pid: 102, restarts: 1 }),
      worker('sink:g1', { type: 'failover', pid: null, state: 'backoff', restarts: 3, uptimeMs: 0 }),
      worker('sink:k9', { type: 'avro', pid: null, state: 'failed', restarts: 21, uptimeMs: 0, failure: 'more than 20 restarts in 600 s' }),
    ],
    components: [
      counters('SINK.k1', 'sink:g1', 'avro', { EventDrainSuccessCount: 1000 }),
      counters('SINK_PROCESSOR.g1', 'sink:g1', 'failover', {}),
      counters('CHANNEL.c1', 'channel:c1', 'memory', { ChannelSize: 250, ChannelCapacity: 1000, EventPutSuccessCount: 5000, EventTakeSuccessCount: 4750 }),
      counters('SOURCE.r1', 'source:r1', 'netcat', { EventAcceptedCount: 5000 }),
    ],
    ...over,
  };
}

test('formatDuration', () => {
  assert.equal(formatDuration(0), '0s');
  assert.equal(formatDuration(999), '0s');
  assert.equal(formatDuration(45_000), '45s');
  assert.equal(formatDuration(192_000), '3m12s');
  assert.equal(formatDuration(3_600_000 + 5 * 60_000 + 59_000), '1h05m');
  assert.equal(formatDuration(3 * 86_400_000 + 4 * 3_600_000), '3d04h');
  assert.equal(formatDuration(-5), '0s');
});

test('formatTable pads columns and right-aligns numbers', () => {
  assert.equal(
    formatTable(
      [
        ['A', 'N'],
        ['long', '7'],
        ['x', '123'],
      ],
      [false, true],
    ),
    'A       N\nlong    7\nx     123',
  );
});

test('status table: every worker, channel fill, failures explained', () => {
  assert.equal(
    formatStatus(snapshot()),
    [
      'agent a1 (pid 4242) running, up 1h02m',
      'COMPONENT   KIND     TYPE      PID  STATE        RESTARTS  UPTIME  SIZE  CAPACITY   FILL',
      'source:r1   source   netcat    101  running             0   3m12s     -         -      -',
      'channel:c1  channel  memory    102  running             1   3m12s   250      1000  25.0%',
      'sink:g1     sink     failover    -  backing off         3       -     -         -      -',
      'sink:k9     sink     avro        -  FAILED             21       -     -         -      -',
      'sink:k9 failed: more than 20 restarts in 600 s',
      '',
    ].join('\n'),
  );
});

test('status table: a channel with no counters yet shows dashes, a starting agent no uptime', () => {
  const text = formatStatus(snapshot({ state: 'starting', workers: [worker('channel:c1', { state: 'starting', uptimeMs: 0 })], components: [] }));
  assert.equal(text.split('\n')[0], 'agent a1 (pid 4242) starting');
  assert.match(text.split('\n')[2]!, /^channel:c1 +channel +memory +100 +starting +0 +- +- +- +-$/);
});

test('computeRates: counter deltas per second by component kind', () => {
  const a = snapshot();
  const b = snapshot({
    components: [
      counters('SINK.k1', 'sink:g1', 'avro', { EventDrainSuccessCount: 1600 }),
      counters('CHANNEL.c1', 'channel:c1', 'memory', { ChannelSize: 300, ChannelCapacity: 1000, EventPutSuccessCount: 6000, EventTakeSuccessCount: 5350 }),
      counters('SOURCE.r1', 'source:r1', 'netcat', { EventAcceptedCount: 6000 }),
      counters('SOURCE.r2', 'source:r2', 'seq', { EventAcceptedCount: 10 }),
    ],
  });
  const r = computeRates(a, b, 2000);
  assert.deepEqual(r.get('SOURCE.r1'), { in: 500, out: null });
  assert.deepEqual(r.get('CHANNEL.c1'), { in: 500, out: 300 });
  assert.deepEqual(r.get('SINK.k1'), { in: null, out: 300 });
  assert.deepEqual(r.get('SOURCE.r2'), { in: null, out: null }, 'no earlier sample');
  assert.equal(r.has('SINK_PROCESSOR.g1'), false);
});

test('computeRates: a counter that went down, or no elapsed time, gives no rate', () => {
  const a = snapshot();
  const b = snapshot({ components: [counters('SOURCE.r1', 'source:r1', 'netcat', { EventAcceptedCount: 10 })] });
  assert.deepEqual(computeRates(a, b, 1000).get('SOURCE.r1'), { in: null, out: null });
  assert.deepEqual(computeRates(a, a, 0).get('SOURCE.r1'), { in: null, out: null });
  assert.deepEqual(computeRates(a, a, 1000).get('SOURCE.r1'), { in: 0, out: null });
});

test('formatRate and fillBar', () => {
  assert.equal(formatRate(null), '-');
  assert.equal(formatRate(0), '0');
  assert.equal(formatRate(0.25), '0.3');
  assert.equal(formatRate(9.94), '9.9');
  assert.equal(formatRate(1204.4), '1,204');
  assert.equal(fillBar(0), '[....................]');
  assert.equal(fillBar(0.25), '[#####...............]');
  assert.equal(fillBar(1), '[####################]');
  assert.equal(fillBar(3), '[####################]');
  assert.equal(fillBar(0.5, 4), '[##..]');
});

test('top frame: flow order, rates, fill bars, restarts, failures', () => {
  const s = snapshot();
  const rates = new Map([
    ['SOURCE.r1', { in: 500, out: null }],
    ['CHANNEL.c1', { in: 500, out: 1250.6 }],
    ['SINK.k1', { in: null, out: 0 }],
  ]);
  assert.equal(
    formatTopFrame(s, rates, { intervalSec: 1, interactive: true }),
    [
      'sluice top: agent a1 (pid 4242) running, up 1h02m — every 1s — q quits',
      '',
      'COMPONENT   TYPE    STATE        RESTARTS  IN/S  OUT/S  FILL',
      'SOURCE.r1   netcat  running             0   500',
      'CHANNEL.c1  memory  running             1   500  1,251  [#####...............]  25.0%  250/1000',
      'SINK.k1     avro    backing off         3            0',
      'sink:k9     avro    FAILED             21',
      'sink:k9 failed: more than 20 restarts in 600 s',
      '',
    ].join('\n'),
  );
});

test('top frame before any rate is known shows dashes', () => {
  const frame = formatTopFrame(snapshot(), new Map(), { intervalSec: 2, interactive: false });
  assert.match(frame, /^sluice top: agent a1 \(pid 4242\) running, up 1h02m — every 2s\n/);
  assert.match(frame, /\nSOURCE\.r1 +netcat +running +0 +-\n/);
  assert.match(frame, /\nCHANNEL\.c1 +memory +running +1 +- +- +\[/);
});

test('restart and reload answers', () => {
  assert.equal(formatRestart({ restarted: ['sink:g1'] }), 'restarted sink:g1\n');
  assert.equal(formatRestart({ restarted: [] }), 'nothing was restarted\n');
  assert.equal(formatReload({ changed: false, restarted: [], started: [], stopped: [] }), 'no change: the config file matches the running agent\n');
  assert.equal(
    formatReload({ changed: true, restarted: ['sink:k1', 'channel:c1'], started: ['source:r2'], stopped: ['sink:k3'] }),
    'restarted sink:k1, channel:c1\nstarted source:r2\nstopped sink:k3\n',
  );
});
