import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRegistry, loadAgentConfig } from '@sluice/config';
import { fakeFactories } from '@sluice/config/testing';
import { SYSLOG_SOURCES } from './syslog-sources.js';

const registry = createRegistry([...fakeFactories, ...SYSLOG_SOURCES]);

/** Loads a one-source agent whose source r1 has `lines` (after `a1.sources.r1.`); its errors and r1's config. */
function load(lines: string[], extra: string[] = []) {
  const text = [
    'a1.sources = r1',
    'a1.channels = c1',
    'a1.sinks = k1',
    ...lines.map((l) => `a1.sources.r1.${l}`),
    'a1.sources.r1.channels = c1',
    'a1.channels.c1.type = memory',
    'a1.sinks.k1.type = logger',
    'a1.sinks.k1.channel = c1',
    ...extra,
  ].join('\n');
  const { diagnostics, topology } = loadAgentConfig({ file: 'a1.properties', agent: 'a1', registry, text });
  const errors = diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.line}: ${d.message}`);
  const source = topology?.sources.find((s) => s.name === 'r1');
  return { errors, config: source?.config as Record<string, unknown> | undefined };
}

test("syslogtcp: Flume's keys and defaults, by type name or class name", () => {
  for (const type of ['syslogtcp', 'org.apache.flume.source.SyslogTcpSource']) {
    const { errors, config } = load([`type = ${type}`, 'host = 127.0.0.1', 'port = 5140']);
    assert.deepEqual(errors, []);
    assert.equal(config?.eventSize, 2500);
    assert.equal(config?.keepFields, 'none');
    assert.equal(config?.clientIPHeader, '');
    assert.equal(config?.batchSize, 100);
  }
});

test('syslogudp and multiport_syslogtcp, by type name or class name', () => {
  for (const type of ['syslogudp', 'org.apache.flume.source.SyslogUDPSource']) {
    assert.deepEqual(load([`type = ${type}`, 'host = 0.0.0.0', 'port = 5140']).errors, []);
  }
  for (const type of ['multiport_syslogtcp', 'org.apache.flume.source.MultiportSyslogTCPSource']) {
    const { errors, config } = load([`type = ${type}`, 'host = 0.0.0.0', 'ports = 5140 5141', 'charset.port.5141 = ISO-8859-1']);
    assert.deepEqual(errors, []);
    assert.deepEqual(config?.ports, ['5140', '5141']);
    assert.equal(config?.['charset.default'], 'UTF-8');
    assert.equal(config?.readBufferSize, 1024);
  }
});

test('required keys, a bad keepFields and a too small eventSize are errors at their lines', () => {
  assert.ok(load(['type = syslogtcp', 'host = 127.0.0.1']).errors.some((e) => /port/.test(e)));
  const keep = load(['type = syslogtcp', 'host = 127.0.0.1', 'port = 1', 'keepFields = host']);
  assert.ok(keep.errors.some((e) => /keepFields: "host" is not one of/.test(e)), keep.errors.join('\n'));
  const size = load(['type = syslogtcp', 'host = 127.0.0.1', 'port = 1', 'eventSize = 5']);
  assert.ok(size.errors.some((e) => e.startsWith('7:') && /eventSize/.test(e)), size.errors.join('\n'));
});

test('multiport_syslogtcp: bad, repeated or missing ports, a charset for a port not listed, a UTF-16 charset', () => {
  const base = ['type = multiport_syslogtcp', 'host = 0.0.0.0'];
  assert.ok(load([...base, 'ports = 5140 http']).errors.some((e) => /"http" is not a port/.test(e)));
  assert.ok(load([...base, 'ports = 5140 5140']).errors.some((e) => /listed twice/.test(e)));
  assert.ok(load([...base, 'ports = 5140', 'charset.port.5141 = UTF-8']).errors.some((e) => /5141 is not one of the ports/.test(e)));
  assert.ok(load([...base, 'ports = 5140', 'charset.default = UTF-16']).errors.some((e) => /UTF-16 is not supported/.test(e)));
});

test('ports are claimed: two syslog sources on one TCP port clash, TCP and UDP on one number do not', () => {
  const second = (type: string, portKey: string) => [
    'a1.sources = r1 r2',
    `a1.sources.r2.type = ${type}`,
    'a1.sources.r2.host = 0.0.0.0',
    `a1.sources.r2.${portKey} = 5140`,
    'a1.sources.r2.channels = c1',
  ];
  const clash = load(['type = syslogtcp', 'host = 127.0.0.1', 'port = 5140'], second('multiport_syslogtcp', 'ports'));
  assert.ok(clash.errors.length > 0 && clash.errors.some((e) => /5140/.test(e)), clash.errors.join('\n'));
  assert.deepEqual(load(['type = syslogtcp', 'host = 127.0.0.1', 'port = 5140'], second('syslogudp', 'port')).errors, []);
});
