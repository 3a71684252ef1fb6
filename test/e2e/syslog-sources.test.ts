import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { AgentProcess, cleanup, freePort, readRolledLines, tempDir, waitFor } from '../support/agent.js';

const dir = tempDir('syslog');
after(() => cleanup(dir));

const LOGGER = '/usr/bin/logger';
const EVENT_SIZE = 300;

function config(tcpPort: number, udpPort: number, out: string): string {
  return `a1.sources = r1 r2
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = syslogtcp
a1.sources.r1.host = 127.0.0.1
a1.sources.r1.port = ${tcpPort}
a1.sources.r1.eventSize = ${EVENT_SIZE}
a1.sources.r1.clientIPHeader = client
a1.sources.r1.channels = c1
a1.sources.r2.type = org.apache.flume.source.SyslogUDPSource
a1.sources.r2.host = 127.0.0.1
a1.sources.r2.port = ${udpPort}
a1.sources.r2.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 10000
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = ${out}
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.sink.serializer = header_and_text
`;
}

interface Delivered {
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** A header_and_text line: `{k=v, k=v} body`. */
function parseLine(line: string): Delivered {
  const m = /^\{(.*?)\} (.*)$/s.exec(line);
  assert.ok(m, `not a header_and_text line: ${line}`);
  const headers: Record<string, string> = {};
  for (const pair of m[1]!.split(', ')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    headers[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return { headers, body: m[2]! };
}

/** Sends every line of `lines` as one message with util-linux logger (`args` choose transport and format). */
function sendWithLogger(sub: string, name: string, lines: readonly string[], args: readonly string[]): void {
  const file = join(sub, `${name}.txt`);
  writeFileSync(file, lines.join('\n') + '\n');
  execFileSync(LOGGER, ['-n', '127.0.0.1', '-t', 'app', '-f', file, ...args]);
}

function sendRawTcp(port: number, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.end(text));
    socket.on('error', reject);
    socket.on('close', () => resolve());
  });
}

test('syslogtcp and syslogudp: every logger message delivered once with its headers; a malformed line kept as Invalid, a long one marked Incomplete', async () => {
  const sub = join(dir, 'all');
  const out = join(sub, 'out');
  mkdirSync(out, { recursive: true });
  const tcpPort = await freePort();
  const udpPort = await freePort();
  const agent = new AgentProcess(sub, 'a1', config(tcpPort, udpPort, out));
  try {
    await agent.ready();
    const started = Date.now();
    const batch = (kind: string) => Array.from({ length: 50 }, (_, i) => `${kind} message ${i}`);
    const tcp = ['-T', '-P', String(tcpPort)];
    const udp = ['-d', '-P', String(udpPort)];
    sendWithLogger(sub, 'tcp3164', batch('tcp3164'), [...tcp, '--rfc3164', '-p', 'user.notice']);
    sendWithLogger(sub, 'tcp5424', batch('tcp5424'), [...tcp, '--rfc5424=notq', '-p', 'local3.err']);
    sendWithLogger(sub, 'tcpoctet', batch('tcpoctet'), [...tcp, '--rfc5424=notq', '--octet-count', '-p', 'daemon.warning']);
    sendWithLogger(sub, 'udp3164', batch('udp3164'), [...udp, '--rfc3164', '-p', 'mail.info']);
    sendWithLogger(sub, 'udp5424', batch('udp5424'), [...udp, '--rfc5424=notq', '-p', 'auth.crit']);
    await sendRawTcp(tcpPort, `this line is not syslog\n<13>Dec  8 10:20:30 web ${'y'.repeat(EVENT_SIZE)}\n`);
    const total = 5 * 50 + 1 + 2;
    const lines = await waitFor('every message delivered', () => {
      const all = readRolledLines(out);
      return all.length >= total ? all : undefined;
    });
    assert.equal(lines.length, total);
    const events = lines.map(parseLine);
    const host = hostname();
    const expect = (kind: string, facility: number, severity: number, shortHost: boolean) => {
      const got = events.filter((e) => e.body.startsWith(`app`) && e.body.includes(`${kind} message `));
      assert.equal(got.length, 50, kind);
      got.forEach((e, i) => {
        assert.ok(e.body.endsWith(`${kind} message ${i}`), `${kind} ${i} in order: ${e.body}`);
        assert.equal(e.headers.Facility, String(facility), kind);
        assert.equal(e.headers.Severity, String(severity), kind);
        assert.equal(e.headers.host, shortHost ? host.split('.')[0] : host, kind);
        const at = Number(e.headers.timestamp);
        assert.ok(Math.abs(at - started) < 120_000, `${kind} timestamp ${e.headers.timestamp}`);
        assert.equal(e.headers['flume.syslog.status'], undefined);
      });
      return got;
    };
    for (const e of expect('tcp3164', 1, 5, true)) assert.equal(e.headers.client, '127.0.0.1');
    for (const e of expect('tcp5424', 19, 3, false)) assert.equal(e.headers.version, '1');
    expect('tcpoctet', 3, 4, false);
    for (const e of expect('udp3164', 2, 6, true)) assert.equal(e.headers.client, undefined);
    expect('udp5424', 4, 2, false);
    const invalid = events.filter((e) => e.headers['flume.syslog.status'] === 'Invalid');
    assert.deepEqual(
      invalid.map((e) => e.body),
      ['this line is not syslog', 'y'.repeat(24)],
      'the malformed line, and the rest of the cut one, kept raw',
    );
    const incomplete = events.filter((e) => e.headers['flume.syslog.status'] === 'Incomplete');
    assert.deepEqual(incomplete.map((e) => e.body), ['y'.repeat(EVENT_SIZE - 24)]);
    assert.equal(incomplete[0]!.headers.host, 'web');
  } finally {
    assert.equal(await agent.stop(), 0);
  }
});

test('multiport_syslogtcp: messages on each port delivered with the port in portHeader', async () => {
  const sub = join(dir, 'multiport');
  const out = join(sub, 'out');
  mkdirSync(out, { recursive: true });
  const ports = [await freePort(), await freePort()];
  const agent = new AgentProcess(
    sub,
    'a1',
    `a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = multiport_syslogtcp
a1.sources.r1.host = 127.0.0.1
a1.sources.r1.ports = ${ports.join(' ')}
a1.sources.r1.portHeader = port
a1.sources.r1.charset.port.${ports[1]} = ISO-8859-1
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = ${out}
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.sink.serializer = header_and_text
`,
  );
  try {
    await agent.ready();
    for (const port of ports) {
      const lines = Array.from({ length: 30 }, (_, i) => `on ${port} message ${i}`);
      sendWithLogger(sub, `port${port}`, lines, ['-T', '-P', String(port), '--rfc3164', '--octet-count']);
    }
    const events = (
      await waitFor('every message delivered', () => {
        const all = readRolledLines(out);
        return all.length >= 60 ? all : undefined;
      })
    ).map(parseLine);
    assert.equal(events.length, 60);
    for (const port of ports) {
      const got = events.filter((e) => e.headers.port === String(port));
      assert.deepEqual(
        got.map((e) => e.body),
        Array.from({ length: 30 }, (_, i) => `app: on ${port} message ${i}`),
      );
    }
  } finally {
    assert.equal(await agent.stop(), 0);
  }
});
