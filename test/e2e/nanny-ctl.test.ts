import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { appendFileSync, chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { requireOrSkip } from '@sluice/core/testing';
import { CHANNEL_HEAP_OPTION } from '@sluice/runtime';
import { AgentProcess, cleanup, readRolledLines, runCtl, tally, tempDir, waitFor } from '../support/agent.js';

/*
 * Control: `sluice ctl status` shows every worker while a flow runs; `sluice
 * ctl restart k1` in the middle of the stream loses no event (counted end to end); the control
 * socket answers a malformed message with an error and refuses another user; ctl says clearly
 * when no agent runs; `ctl stop` stops the agent gracefully.
 */

const EVENTS = 150_000;
const dir = tempDir('ctl');
let agent: AgentProcess | undefined;
after(async () => {
  await agent?.stop(10_000).catch(() => undefined);
  cleanup(dir);
});

const out = join(dir, 'out');
const log = join(dir, 'app.log');
const config = `a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = exec
a1.sources.r1.command = tail -n +1 -F ${log}
a1.sources.r1.batchSize = 1000
a1.sources.r1.batchTimeout = 100
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 20000
a1.channels.c1.transactionCapacity = 1000
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = ${out}
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.sink.batchSize = 1000
`;

const line = (i: number) => `event ${i}`;

/** Appends lines `from`..`to` in chunks of 2500 every 25 ms: a stream of ~100,000 lines/s. */
async function stream(from: number, to: number): Promise<void> {
  for (let i = from; i < to; i += 2500) {
    appendFileSync(log, Array.from({ length: Math.min(2500, to - i) }, (_, j) => line(i + j)).join('\n') + '\n');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Sends raw lines to the control socket and collects `n` reply lines. */
function raw(socket: string, text: string, n: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const c = connect(socket);
    let buf = '';
    const timer = setTimeout(() => {
      c.destroy();
      reject(new Error(`no ${n} replies in 5 s: ${buf}`));
    }, 5000);
    c.on('data', (d) => {
      buf += d.toString();
      const lines = buf.split('\n').filter((l) => l.length > 0);
      if (lines.length >= n) {
        clearTimeout(timer);
        c.end();
        resolve(lines);
      }
    });
    c.on('error', reject);
    c.write(text);
  });
}

test('ctl status lists every worker; ctl restart k1 mid-stream loses no event', async () => {
  writeFileSync(log, '');
  agent = new AgentProcess(dir, 'a1', config, ['--status-interval', '100']);
  await agent.ready();
  const status = await agent.ctl('status');
  assert.equal(status.code, 0, status.stderr);
  for (const c of agent.status()!.components) {
    const row = status.stdout.split('\n').find((l) => l.includes(c.id));
    assert.ok(row, `status shows ${c.id}:\n${status.stdout}`);
    assert.ok(row.includes(String(c.pid)), `the row of ${c.id} shows its pid`);
  }
  // Each worker logs the node options it was forked with: a channel's carry its heap option.
  const started = agent.logLines().filter((l) => l['msg'] === 'Worker running.');
  assert.equal(started.length, 3, 'three workers logged their start');
  for (const line of started) {
    const options = (line['nodeOptions'] ?? []) as string[];
    assert.equal(options.includes(CHANNEL_HEAP_OPTION), line['kind'] === 'channel', JSON.stringify(line));
  }

  // The restart comes between the two halves of the stream: after 20,000 of the first half's
  // events are delivered, before the second half is appended, whatever the machine's speed.
  const HALF = EVENTS / 2;
  await stream(0, HALF);
  await waitFor('the stream is flowing', () => (agent!.counter('SINK.k1', 'EventDrainSuccessCount') >= 20_000 ? true : undefined));
  const before = agent.component('sink:k1').pid;
  const restart = await agent.ctl('restart', 'k1');
  assert.equal(restart.code, 0, restart.stderr);
  assert.match(restart.stdout, /sink:k1/);
  const k1 = agent.component('sink:k1');
  assert.notEqual(k1.pid, before);
  assert.equal(k1.restarts, 1);
  await stream(HALF, EVENTS);

  await waitFor('every event delivered', () => (readRolledLines(out).length >= EVENTS ? true : undefined), 60_000);
  const seen = tally(readRolledLines(out));
  const lost = Array.from({ length: EVENTS }, (_, i) => line(i)).filter((l) => !seen.has(l));
  assert.deepEqual(lost, [], 'nothing lost');
  const duplicated = [...seen.values()].filter((n) => n > 1).length;
  assert.ok(duplicated <= 4 * 1000, `duplicates only of batches in flight at the restart (${duplicated})`);
  assert.equal(agent.component('source:r1').restarts, 0);
  assert.equal(agent.component('channel:c1').restarts, 0);
});

test('the control socket answers malformed messages with an error and keeps serving', async () => {
  assert.ok(agent);
  const socket = join(agent.runDir, 'control.sock');
  const replies = await raw(socket, 'this is not json\n{"op":"dance"}\n{"op":"status"}\n', 3);
  const [bad, unknown, good] = replies.map((l) => JSON.parse(l) as { ok: boolean; error?: { code: string; message: string } });
  assert.equal(bad!.ok, false);
  assert.equal(bad!.error!.code, 'SLUICE_ERR_CONTROL');
  assert.equal(unknown!.ok, false);
  assert.match(unknown!.error!.message, /dance/);
  assert.equal(good!.ok, true);
  assert.equal(agent.status()!.state, 'running');
});

test('another user cannot use the control socket', async (t) => {
  assert.ok(agent);
  if (!requireOrSkip(t, process.getuid?.() === 0, 'needs root to run ctl as another user')) return;
  // Let the other user reach the program itself, not the agent's private run dir.
  chmodSync(dir, 0o755);
  const other = await runCtl(['--run-dir', agent.runDir, 'status'], { uid: 65534, gid: 65534 });
  assert.notEqual(other.code, 0);
  assert.match(other.stderr, /permission denied|another user/i);
  assert.equal(agent.status()!.state, 'running');
});

test('ctl says clearly when no agent runs there; ctl stop stops the agent gracefully', async () => {
  assert.ok(agent);
  const nowhere = join(dir, 'nowhere');
  mkdirSync(nowhere);
  const none = await runCtl(['--run-dir', nowhere, 'status']);
  assert.equal(none.code, 3);
  assert.match(none.stderr, /no agent/i);

  const stop = await agent.ctl('stop');
  assert.equal(stop.code, 0, stop.stderr);
  assert.equal(await agent.stop(), 0, 'exited 0 after a graceful stop');
  assert.ok(agent.logLines().some((l) => l['msg'] === 'Agent stopped.'));
  agent = undefined;
});
