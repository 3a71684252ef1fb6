/**
 * Every listening source under every hostile peer of the test kit, with its defaults: the source
 * worker runs under a file descriptor limit of 1024, each attack runs while a normal client sends
 * 100 events, and afterwards the worker is the same process, its peak RSS is bounded, and every
 * event the normal clients were answered OK for is delivered exactly once.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createAvroClient } from '@sluice/avro-rpc';
import { encodeBatch, textEvent } from '@sluice/core';
import { cleanup, tally, tempDir, waitFor } from '../support/agent.js';
import { attacksFor, type Protocol } from '../support/hostile-peers.js';
import { collectorConfig, freePort, line, missing, outputLines, startAgent } from '../support/tiers.js';

const dir = tempDir('hostile');
after(() => cleanup(dir));

const EVENTS_PER_ATTACK = 100;
const FD_LIMIT = 1024;
const IDLE_CONNECTIONS = 1100;
const RSS_BOUND = 600 * 1024 * 1024;

const SOURCES: Record<Protocol, Record<string, string>> = {
  avro: { type: 'avro' },
  'avro-deflate': { type: 'avro', 'compression-type': 'deflate' },
  netcat: { type: 'netcat' },
};

/** The peak resident set of a process so far (VmHWM), in bytes. */
function peakRss(pid: number): number {
  const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) * 1024;
}

/** Sends lines [from, from + count) as a normal client does; resolves once all are answered OK. */
async function normalClient(protocol: Protocol, port: number, from: number, count: number): Promise<void> {
  const lines = Array.from({ length: count }, (_, i) => line(from + i));
  if (protocol !== 'netcat') {
    const client = createAvroClient({ host: '127.0.0.1', port, compression: protocol === 'avro-deflate' ? 'deflate' : 'none', requestTimeoutMs: 20_000 });
    try {
      assert.equal(await client.appendBatch(encodeBatch(lines.map((l) => textEvent(l)))), 'OK');
    } finally {
      await client.close();
    }
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let answers = '';
    socket.on('error', reject);
    socket.on('data', (d: Buffer) => {
      answers += d.toString();
      if (answers.length < 3 * count) return;
      socket.end();
      if (answers === 'OK\n'.repeat(count)) resolve();
      else reject(new Error(`netcat answered ${JSON.stringify(answers.slice(0, 200))}`));
    });
    socket.write(lines.map((l) => `${l}\n`).join(''));
  });
}

for (const protocol of Object.keys(SOURCES) as Protocol[]) {
  test(`${protocol} source: every hostile peer of the kit, no restart, bounded RSS, normal clients served and delivered`, async () => {
    const port = await freePort();
    const out = join(dir, protocol, 'out');
    const agent = startAgent(join(dir, protocol), 'h', collectorConfig('h', port, out, { source: SOURCES[protocol] }));
    try {
      const status = await agent.ready();
      const pid = status.components.find((c) => c.id === 'source:r1')!.pid!;
      execFileSync('prlimit', ['--pid', String(pid), `--nofile=${FD_LIMIT}:${FD_LIMIT}`]);
      let sent = 0;
      for (const attack of attacksFor(protocol, IDLE_CONNECTIONS)) {
        const running = await attack.start(port, protocol);
        const started = Date.now();
        await normalClient(protocol, port, sent, EVENTS_PER_ATTACK);
        const answeredMs = Date.now() - started;
        sent += EVENTS_PER_ATTACK;
        await running.stop();
        const peak = peakRss(pid);
        console.log(`# ${protocol}, ${attack.name}: ${running.opened()} connections, normal client answered in ${answeredMs} ms, source peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB`);
        const source = agent.component('source:r1');
        assert.equal(source.pid, pid, `${attack.name}: the source worker was not restarted`);
        assert.equal(source.restarts, 0);
        assert.ok(peak < RSS_BOUND, `${attack.name}: source peak RSS ${peak} bytes`);
      }
      await waitFor('every answered event delivered', () => (missing(tally(outputLines(out)), 0, sent).length === 0 ? true : undefined));
      // (Netcat takes the attackers' newline-terminated bytes as events too: only the normal
      // clients' lines are counted.)
      const seen = tally(outputLines(out));
      const duplicated = Array.from({ length: sent }, (_, i) => line(i)).filter((l) => seen.get(l) !== 1);
      assert.deepEqual(duplicated, [], 'each normal event delivered exactly once');
    } finally {
      await agent.stop();
    }
  });
}
