/**
 * Collectors behind a VIP (DESIGN §4): an avro sink's connection stays on the collector
 * it first reached; `reset-connection-interval` re-opens it now and then so the load spreads
 * again. First with a round-robin TCP proxy written for the test, then with haproxy and the
 * example configuration of deploy/haproxy (skipped when haproxy is not installed).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { requireOrSkip } from '@sluice/core/testing';
import { cleanup, tempDir, waitFor, type AgentProcess } from '../support/agent.js';
import { appendLines, avroSinkProps, collectorConfig, freePort, line, missing, outputLines, startAgent, waitForAsync } from '../support/tiers.js';
import { startTcpVip } from '../support/tcp-vip.js';

const dir = tempDir('tier-vip');
after(() => cleanup(dir));

const LINES = 3000;
const HAPROXY_EXAMPLE = resolve(__dirname, '..', '..', '..', 'deploy', 'haproxy', 'haproxy.cfg');

function agentConfig(name: string, log: string, vipPort: number, resetSeconds: number): string {
  return (
    `${name}.sources = r1
${name}.channels = c1
${name}.sinks = k1
${name}.sources.r1.type = exec
${name}.sources.r1.command = tail -n +1 -F ${log}
${name}.sources.r1.batchSize = 100
${name}.sources.r1.batchTimeout = 100
${name}.sources.r1.channels = c1
${name}.channels.c1.type = memory
${name}.channels.c1.capacity = 100000
${name}.channels.c1.transactionCapacity = 1000
` + avroSinkProps(name, 'k1', vipPort, { 'reset-connection-interval': resetSeconds })
  );
}

/** How many of lines [from, to) each output holds. */
function shares(outs: readonly string[], from: number, to: number): number[] {
  return outs.map((o) => {
    const lines = new Set(outputLines(o));
    let n = 0;
    for (let i = from; i < to; i++) if (lines.has(line(i))) n++;
    return n;
  });
}

async function collectors(sub: string): Promise<{ agents: AgentProcess[]; ports: number[]; outs: string[] }> {
  const ports = [await freePort(), await freePort()];
  const outs = ports.map((_, i) => join(sub, `c${i + 1}`, 'out'));
  const agents = ports.map((p, i) => startAgent(join(sub, `c${i + 1}`), `c${i + 1}`, collectorConfig(`c${i + 1}`, p, outs[i]!)));
  await Promise.all(agents.map((a) => a.ready()));
  return { agents, ports, outs };
}

test('reset-connection-interval spreads one agent over the collectors behind a VIP; without it the connection sticks', async () => {
  const sub = join(dir, 'proxy');
  mkdirSync(sub, { recursive: true });
  const c = await collectors(sub);
  const vip = await startTcpVip(c.ports);
  const agents: AgentProcess[] = [];
  try {
    const resetLog = join(sub, 'reset.log');
    const stickyLog = join(sub, 'sticky.log');
    writeFileSync(resetLog, '');
    writeFileSync(stickyLog, '');
    agents.push(startAgent(join(sub, 'reset'), 'reset', agentConfig('reset', resetLog, vip.port, 1)));
    agents.push(startAgent(join(sub, 'sticky'), 'sticky', agentConfig('sticky', stickyLog, vip.port, 0)));
    await Promise.all(agents.map((a) => a.ready()));
    // ~5 s of traffic from both agents: the resetting one reconnects about every second.
    const STICKY = 1_000_000;
    await Promise.all([appendLines(resetLog, 0, LINES, 120, 200), appendLines(stickyLog, STICKY, STICKY + LINES, 120, 200)]);
    const all = () => new Set(c.outs.flatMap((o) => outputLines(o)));
    await waitFor('every line delivered', () => (missing(all(), 0, LINES).length + missing(all(), STICKY, STICKY + LINES).length === 0 ? true : undefined), 30_000);
    const spread = shares(c.outs, 0, LINES);
    const stuck = shares(c.outs, STICKY, STICKY + LINES);
    const created = agents[0]!.counter('SINK.k1', 'ConnectionCreatedCount');
    console.log(`# behind a round-robin VIP: reset-connection-interval 1 s → ${spread.join(' / ')} (${created} connections); 0 → ${stuck.join(' / ')}`);
    assert.ok(created >= 3, `only ${created} connections in ~5 s with a 1 s interval`);
    for (const n of spread) assert.ok(n >= LINES * 0.15, `one collector got only ${n} of ${LINES} lines: the connection was not re-spread`);
    assert.ok(stuck.includes(LINES) && stuck.includes(0), `without reset-connection-interval the lines should stay on one collector: ${stuck.join(' / ')}`);
    assert.equal(agents[1]!.counter('SINK.k1', 'ConnectionCreatedCount'), 1);
  } finally {
    await Promise.all([...agents, ...c.agents].map((a) => a.stop().catch(() => undefined)));
    await vip.close();
  }
});

test('the deploy/haproxy example in front of two collectors: health checks are harmless, connections re-spread', async (t) => {
  if (!requireOrSkip(t, spawnSync('haproxy', ['-v'], { stdio: 'ignore' }).status === 0, 'haproxy is not installed')) return;
  const sub = join(dir, 'haproxy');
  mkdirSync(sub, { recursive: true });
  const c = await collectors(sub);
  const vipPort = await freePort();
  // The example, pointed at this test's ports.
  const example = readFileSync(HAPROXY_EXAMPLE, 'utf8');
  assert.match(example, /bind \*:4141/);
  const cfg = example
    .replace('bind *:4141', `bind 127.0.0.1:${vipPort}`)
    .split('\n')
    .filter((l) => !/^\s*server collector\d/.test(l))
    .join('\n')
    .replace(/(backend sluice_collectors\n(?:.*\n)*?\s*default-server[^\n]*\n)/, `$1    server c1 127.0.0.1:${c.ports[0]}\n    server c2 127.0.0.1:${c.ports[1]}\n`);
  assert.match(cfg, /server c2 127\.0\.0\.1:\d+/);
  const cfgFile = join(sub, 'haproxy.cfg');
  writeFileSync(cfgFile, cfg);
  const haproxy: ChildProcess = spawn('haproxy', ['-db', '-f', cfgFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let haproxyOut = '';
  haproxy.stdout!.on('data', (d: Buffer) => (haproxyOut += d.toString()));
  haproxy.stderr!.on('data', (d: Buffer) => (haproxyOut += d.toString()));
  let agent: AgentProcess | undefined;
  try {
    await waitForAsync(
      'haproxy listening',
      async () => {
        if (haproxy.exitCode !== null) throw new Error(`haproxy exited with ${haproxy.exitCode}:\n${haproxyOut}`);
        const up = await new Promise<boolean>((resolve) => {
          const s = connect({ host: '127.0.0.1', port: vipPort }, () => {
            s.destroy();
            resolve(true);
          });
          s.on('error', () => resolve(false));
        });
        if (!up) await new Promise((r) => setTimeout(r, 100));
        return up ? true : undefined;
      },
      10_000,
    );
    const log = join(sub, 'app.log');
    writeFileSync(log, '');
    agent = startAgent(join(sub, 'a1'), 'a1', agentConfig('a1', log, vipPort, 1));
    await agent.ready();
    await appendLines(log, 0, LINES, 120, 200);
    await waitFor('every line delivered', () => (missing(new Set(c.outs.flatMap((o) => outputLines(o))), 0, LINES).length === 0 ? true : undefined), 30_000);
    const spread = shares(c.outs, 0, LINES);
    console.log(`# behind haproxy (leastconn, TCP checks every 2 s): ${spread.join(' / ')}`);
    for (const n of spread) assert.ok(n >= LINES * 0.1, `one collector got only ${n} of ${LINES} lines`);
    // haproxy's TCP health checks connect and close: no protocol error at the collectors.
    for (const a of c.agents) assert.equal(a.counter('SOURCE.r1', 'MalformedRequestCount'), 0);
  } finally {
    await agent?.stop().catch(() => undefined);
    haproxy.kill('SIGTERM');
    await new Promise((r) => (haproxy.exitCode !== null ? r(undefined) : haproxy.once('exit', r)));
    await Promise.all(c.agents.map((a) => a.stop().catch(() => undefined)));
    if (haproxy.exitCode !== 0 && haproxy.signalCode !== 'SIGTERM') console.log(haproxyOut);
  }
});
