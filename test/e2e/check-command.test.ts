import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cleanup, SLUICE, tempDir } from '../support/agent.js';

const dir = tempDir('check');
after(() => cleanup(dir));

function sluice(args: string[], config?: string) {
  const file = join(dir, 'agent.properties');
  if (config !== undefined) writeFileSync(file, config);
  const res = spawnSync(process.execPath, [SLUICE, ...args.map((a) => (a === 'FILE' ? file : a))], { encoding: 'utf8' });
  return { code: res.status, out: res.stdout, err: res.stderr };
}

const GOOD = `a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = seq
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 1000
a1.channels.c1.transactionCapacity = 100
a1.sinks.k1.type = logger
a1.sinks.k1.channel = c1
`;

test('check prints the resolved topology of a valid config', () => {
  const r = sluice(['check', '-n', 'a1', '-f', 'FILE'], GOOD);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /r1/);
  assert.match(r.out, /c1/);
  assert.match(r.out, /k1/);
});

test('check shows the values of secret keys as ******, never in clear', () => {
  const tls = GOOD.replace(
    'a1.sources.r1.type = seq\n',
    'a1.sources.r1.type = avro\na1.sources.r1.bind = 127.0.0.1\na1.sources.r1.port = 4141\na1.sources.r1.ssl = true\n' +
      'a1.sources.r1.keystore = /etc/sluice/server.p12\na1.sources.r1.keystore-password = hunter2\n',
  );
  const r = sluice(['check', '-n', 'a1', '-f', 'FILE'], tls);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /keystore=\/etc\/sluice\/server\.p12/);
  assert.match(r.out, /keystore-password=\*{6}[,)]/);
  assert.ok(!r.out.includes('hunter2') && !r.err.includes('hunter2'), `the password is printed:\n${r.out}${r.err}`);
});

test('three mistakes are all reported with their lines, and nothing starts', () => {
  const bad = GOOD.replace('a1.channels.c1.capacity = 1000', 'a1.channels.c1.capacity = lots')
    .replace('a1.channels.c1.transactionCapacity = 100', 'a1.channels.c1.transactioncapacity = 100')
    .replace('a1.sinks.k1.channel = c1', 'a1.sinks.k1.channel = c9');
  const r = sluice(['check', '-n', 'a1', '-f', 'FILE'], bad);
  assert.equal(r.code, 1);
  assert.match(r.err, /:7: error: .*capacity/, 'non-numeric capacity at line 7');
  assert.match(r.err, /:8: warning: .*transactioncapacity.*did you mean.*transactionCapacity/i, 'typo at line 8');
  assert.match(r.err, /:10: error: .*c9/, 'missing channel at line 10');
});

test('a typo alone is a warning (exit 0), and an error under --strict', () => {
  const typo = GOOD.replace('a1.channels.c1.transactionCapacity = 100', 'a1.channels.c1.transactioncapacity = 100');
  const lax = sluice(['check', '-n', 'a1', '-f', 'FILE'], typo);
  assert.equal(lax.code, 0, lax.err);
  assert.match(lax.err, /warning: .*did you mean/i);
  const strict = sluice(['check', '-n', 'a1', '-f', 'FILE', '--strict'], typo);
  assert.equal(strict.code, 1);
  assert.match(strict.err, /error: .*transactioncapacity/);
});

test('a wrong agent name is an error naming the agents in the file', () => {
  const r = sluice(['check', '-n', 'agent1', '-f', 'FILE'], GOOD);
  assert.equal(r.code, 1);
  assert.match(r.err, /a1/);
});

test('a missing config file and a bad command line get clear errors', () => {
  const missing = sluice(['agent', '-n', 'a1', '-f', join(dir, 'nope.properties')]);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /nope\.properties/);
  const usage = sluice(['agent', '-n', 'a1']);
  assert.equal(usage.code, 2);
  assert.match(usage.err, /-f\/--conf-file/);
  const unknown = sluice(['agnet']);
  assert.equal(unknown.code, 2);
});

test('--help and --version answer', () => {
  const help = sluice(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.out, /sluice agent -n NAME -f FILE/);
  const version = sluice(['--version']);
  assert.equal(version.code, 0);
  assert.match(version.out, /^sluice \d+\.\d+\.\d+/);
});

test('sink group mistakes are found by check, not when the group\'s worker starts', () => {
  const groups = `a1.sources = r1
a1.channels = c1 c2
a1.sinks = k1 k2 k3 k4
a1.sinkgroups = g1 g2
a1.sources.r1.type = seq
a1.sources.r1.channels = c1 c2
a1.channels.c1.type = memory
a1.channels.c2.type = memory
a1.sinks.k1.type = null
a1.sinks.k1.channel = c1
a1.sinks.k2.type = null
a1.sinks.k2.channel = c1
a1.sinks.k3.type = null
a1.sinks.k3.channel = c2
a1.sinks.k4.type = null
a1.sinks.k4.channel = c2
a1.sinkgroups.g1.sinks = k1 k2
a1.sinkgroups.g1.processor.type = failover
a1.sinkgroups.g1.processor.priority.k1 = 5
a1.sinkgroups.g1.processor.priority.k2 = 5
a1.sinkgroups.g2.sinks = k3
a1.sinkgroups.g2.processor.type = load_balance
`;
  const r = sluice(['check', '-n', 'a1', '-f', 'FILE'], groups);
  assert.equal(r.code, 1);
  assert.match(r.err, /:18: error: .*priority\.k1 and priority\.k2 are both 5/);
  assert.match(r.err, /:22: error: .*at least two sinks/);
  const mixed = sluice(['check', '-n', 'a1', '-f', 'FILE'], groups.replace('a1.sinkgroups.g1.processor.priority.k2 = 5', 'a1.sinkgroups.g1.processor.priority.k2 = 1').replace('a1.sinkgroups.g2.sinks = k3', 'a1.sinkgroups.g2.sinks = k3 k4').replace('a1.sinks.k2.channel = c1', 'a1.sinks.k2.channel = c2'));
  assert.equal(mixed.code, 1);
  assert.match(mixed.err, /g1: its sinks drain different channels \(c1, c2\)/);
});

test('two sources on one port and two file channels on one directory are each reported with both lines', () => {
  const clash = `a1.sources = r1 r2
a1.channels = c1 c2
a1.sinks = k1 k2
a1.sources.r1.type = netcat
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = 44444
a1.sources.r1.channels = c1
a1.sources.r2.type = avro
a1.sources.r2.bind = 0.0.0.0
a1.sources.r2.port = 44444
a1.sources.r2.channels = c2
a1.channels.c1.type = file
a1.channels.c1.dataDirs = ${join(dir, 'data')}
a1.channels.c2.type = file
a1.channels.c2.dataDirs = ${join(dir, 'data')}/
a1.sinks.k1.type = logger
a1.sinks.k1.channel = c1
a1.sinks.k2.type = logger
a1.sinks.k2.channel = c2
`;
  const r = sluice(['check', '-n', 'a1', '-f', 'FILE'], clash);
  assert.equal(r.code, 1, r.out);
  assert.match(r.err, /:10: error: a1\.sources\.r2\.port: source r2 listens on 0\.0\.0\.0:44444, which source r1 \(line 6\) already uses/);
  assert.match(r.err, /:15: error: a1\.channels\.c2\.dataDirs: channel c2 uses directory \S+data, which channel c1 \(line 13\) already uses/);
});
