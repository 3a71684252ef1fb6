import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { AgentProcess, cleanup, readRolledLines, tally, tempDir, waitFor } from '../support/agent.js';
import { freeBytes, freePort, LEVEL, logsMatching, recordsEnd, segmentFiles, sleep } from '../support/file-channel.js';
import { waitForAsync } from '../support/tiers.js';
import { ResendingClient } from '../support/resending-client.js';

/*
 * The disk-full test, through a real agent: netcat (fed by a client that
 * re-sends what has no OK) → file channel on a 16 MiB tmpfs → file_roll (elsewhere).
 *
 * 1. Reserve: the sink worker is paused (SIGSTOP), so the log grows until free space would fall
 *    below minimumRequiredSpace (10 MiB): commits answer FULL, the source stops reading the
 *    socket (back-pressure), and the reserve stays free.
 * 2. ENOSPC: a ballast file takes every byte left; the sink resumes (SIGCONT): its takes work,
 *    its acks hit ENOSPC and are refused (retriable), the condition is logged once, nothing is
 *    cut back below a complete record.
 * 3. The ballast is deleted: acks go through, the channel drains, consumed segments are
 *    deleted, commits resume and every line arrives.
 */

const LINES = 120_000;
const WINDOW = 200;
const TMPFS_BYTES = 16 * 1024 * 1024;
const MINIMUM = 10 * 1024 * 1024;

const dir = tempDir('fc-diskfull');
const mount = join(dir, 'tmpfs');
let mounted = false;
after(() => {
  if (mounted) execFileSync('umount', ['-l', mount]);
  cleanup(dir);
});

function config(port: number, out: string): string {
  return `a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = netcat
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = ${port}
a1.sources.r1.channels = c1
a1.channels.c1.type = file
a1.channels.c1.checkpointDir = ${join(mount, 'checkpoint')}
a1.channels.c1.dataDirs = ${join(mount, 'data')}
a1.channels.c1.minimumRequiredSpace = ${MINIMUM}
a1.channels.c1.maxFileSize = 262144
a1.channels.c1.checkpointInterval = 500
a1.channels.c1.transactionCapacity = 1000
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = ${out}
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.sink.batchSize = 100
`;
}

const line = (i: number) => `disk ${String(i).padStart(6, '0')} ${'y'.repeat(88)}`;

/** Fills the file system holding `dirPath` to the last byte; returns the ballast file. */
function fillUp(dirPath: string): string {
  const file = join(dirPath, 'ballast');
  const fd = openSync(file, 'w');
  try {
    for (const size of [1024 * 1024, 4096, 512]) {
      const chunk = Buffer.alloc(size, 7);
      try {
        for (let i = 0; i < 100_000; i++) writeSync(fd, chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      }
    }
  } finally {
    closeSync(fd);
  }
  return file;
}

/** Waits `ms` and returns how many more lines were confirmed meanwhile. */
async function progressOver(client: ResendingClient, ms: number): Promise<number> {
  const before = client.confirmed;
  await sleep(ms);
  return client.confirmed - before;
}

test('disk full: FULL below minimumRequiredSpace, refused acks at ENOSPC, nothing lost, flow resumes when space returns', async (t) => {
  if (process.getuid?.() !== 0) {
    if (process.env['CI'] === 'true') assert.fail('the disk-full test needs root for tmpfs in CI');
    t.skip('needs root for tmpfs');
    return;
  }
  mkdirSync(mount);
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_BYTES}`, 'tmpfs', mount]);
  mounted = true;
  mkdirSync(join(mount, 'checkpoint'));
  mkdirSync(join(mount, 'data'));
  const out = join(dir, 'out');
  const port = await freePort();
  const lines = Array.from({ length: LINES }, (_, i) => line(i));
  const client = new ResendingClient(port, lines);
  const agent = new AgentProcess(dir, 'a1', config(port, out), ['--status-interval', '100']);
  let sinkPid: number | undefined;
  let sending: Promise<void> | undefined;
  try {
    await agent.ready();
    sinkPid = agent.component('sink:k1').pid!;
    sending = client.run(WINDOW, 90_000);
    await waitFor('lines flowing', () => (client.confirmed > 5000 ? true : undefined));

    // 1. Reserve.
    process.kill(sinkPid, 'SIGSTOP');
    // The log may have crossed the reserve before, while the sink still freed space, and a
    // checkpoint of acks sent before the stop may free some more: the reserve is reached when
    // the latest of each pair of messages says "below" and "holding back" and the client then
    // stays held back (a passing state is looked at again).
    const latest = (re: RegExp) => logsMatching(agent, re).at(-1);
    const low = await waitForAsync(
      'commits refused below minimumRequiredSpace, the client held back',
      async () => {
        const l = latest(/minimumRequiredSpace/);
        const holding = /^Channel is full; holding back/.test(String(latest(/^Channel (is full; holding back|accepts events again)/)?.['msg']));
        if (!l || !/below minimumRequiredSpace/.test(String(l['msg'])) || !holding) return sleep(50).then(() => undefined);
        return (await progressOver(client, 1500)) <= WINDOW ? l : undefined;
      },
      30_000,
    );
    assert.equal(low['level'], LEVEL.warn);
    const free = freeBytes(mount);
    assert.ok(free >= MINIMUM - 1024 * 1024, `the reserve stays free (${free} bytes free)`);
    const held = agent.counter('CHANNEL.c1', 'ChannelSize');
    assert.ok(held > 20_000, `the channel filled up to the reserve (${held} events)`);
    const confirmedAtFull = client.confirmed;
    console.log(`# reserve reached: ${held} events in the channel, ${free} bytes free, ${confirmedAtFull} lines confirmed`);

    // 2. ENOSPC: no byte left; the sink resumes and its acks cannot be written.
    const sizes = new Map(segmentFiles(join(mount, 'data')).map((f) => [f, recordsEnd(f)]));
    const ballast = fillUp(mount);
    assert.ok(freeBytes(mount) < 4096, `the tmpfs is full (${freeBytes(mount)} bytes free)`);
    process.kill(sinkPid, 'SIGCONT');
    const full = await waitFor('ENOSPC logged', () => logsMatching(agent, /^The disk is full/)[0]);
    assert.equal(full['level'], LEVEL.error);
    await waitFor('the sink retries its refused acks', () =>
      logsMatching(agent, /^Channel could not record the outcome yet/).length > 0 ? true : undefined,
    );
    await waitFor('refused acks counted', () => (agent.counter('CHANNEL.c1', 'EventTakeErrorCount') > 0 ? true : undefined), 5000);
    assert.ok((await progressOver(client, 1000)) <= WINDOW, 'the client is still held back');
    assert.ok(agent.counter('CHANNEL.c1', 'ChannelSize') > 0, 'refused acks removed nothing');
    for (const [f, size] of sizes) {
      const now = existsSync(f) ? recordsEnd(f) : undefined;
      assert.ok(now !== undefined && now >= size, `${f} was not cut below its complete records (${size} → ${now})`);
    }
    assert.equal(logsMatching(agent, /^The disk is full/).length, 1, 'the condition is logged once');

    // 3. Space returns: everything flows again by itself.
    rmSync(ballast);
    await waitFor('writes succeed again', () => (logsMatching(agent, /^Writes to the log succeed again/).length > 0 ? true : undefined), 15_000);
    await waitFor('commits accepted again', () => (client.confirmed > confirmedAtFull + WINDOW ? true : undefined), 30_000);
    assert.ok(logsMatching(agent, /above minimumRequiredSpace again/).length > 0);
    await sending;
    await waitFor('every line delivered', () => (new Set(readRolledLines(out)).size >= LINES ? true : undefined), 30_000);
    const counts = tally(readRolledLines(out));
    const lost = lines.filter((l) => !counts.has(l));
    assert.equal(lost.length, 0, `${lost.length} lines lost, e.g. ${lost[0]}`);
    const duplicates = [...counts.values()].reduce((n, c) => n + c - 1, 0);
    console.log(
      `# disk full: ${LINES} lines, 0 lost, ${duplicates} duplicates, ${client.reconnects} reconnects; ` +
        `EventTakeErrorCount ${agent.counter('CHANNEL.c1', 'EventTakeErrorCount')}, EventPutErrorCount ${agent.counter('CHANNEL.c1', 'EventPutErrorCount')}, ` +
        `CheckpointWriteErrorCount ${agent.counter('CHANNEL.c1', 'CheckpointWriteErrorCount')}`,
    );
    assert.equal(duplicates, 0, 'no crash, no duplicate');
    assert.equal(agent.counter('CHANNEL.c1', 'Unhealthy'), 0);
    // Consumed segments go at the next checkpoint after their last ack.
    await waitFor('consumed segments deleted', () => (segmentFiles(join(mount, 'data')).length <= 3 ? true : undefined), 15_000);
  } finally {
    if (sinkPid !== undefined) process.kill(sinkPid, 'SIGCONT');
    client.close();
    await sending?.catch(() => undefined);
    assert.equal(await agent.stop(), 0);
  }
});
