import assert from 'node:assert/strict';
import { closeSync, mkdirSync, openSync, readFileSync, statSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { AgentProcess, cleanup, readRolledLines, tempDir, waitFor } from '../support/agent.js';
import { LEVEL, logsMatching, RECORD_HEADER_SIZE, segmentFiles, segmentRecords, type RecordInfo } from '../support/file-channel.js';

/*
 * The torn write test, through a real agent: events sit in a file channel no
 * sink drains; the agent stops; the last record of the newest log segment is cut short or
 * garbled by hand; the agent starts again with a sink added. The channel must recover every
 * event before the damage, say what it cut, and deliver them.
 *
 * checkpointOnClose = false and a long checkpointInterval leave every record after the empty
 * checkpoint written at open, as after a crash: the start replays the whole log, where the damage is.
 */

const EVENTS = 30_000;
const BATCH = 100;

const dir = tempDir('fc-torn');
after(() => cleanup(dir));

function channel(): string {
  return `a1.channels.c1.type = file
a1.channels.c1.checkpointOnClose = false
a1.channels.c1.checkpointInterval = 3600000
a1.channels.c1.maxFileSize = 65536
a1.channels.c1.minimumRequiredSpace = 1048576
a1.channels.c1.transactionCapacity = 1000
`;
}

/** seq → c1, nothing drains it. */
function fillConfig(): string {
  return `a1.sources = r1
a1.channels = c1
a1.sources.r1.type = seq
a1.sources.r1.totalEvents = ${EVENTS}
a1.sources.r1.batchSize = ${BATCH}
a1.sources.r1.channels = c1
${channel()}`;
}

/** c1 → file_roll, no source. */
function drainConfig(out: string): string {
  return `a1.channels = c1
a1.sinks = k1
${channel()}a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = ${out}
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.sink.batchSize = 1000
`;
}

/** Runs the fill agent and stops it with EVENTS events in c1; returns the newest segment and its last record. */
async function fill(sub: string): Promise<{ file: string; last: RecordInfo; size: number }> {
  const agent = new AgentProcess(sub, 'a1', fillConfig(), ['--status-interval', '50']);
  try {
    await agent.ready();
    await waitFor(`${EVENTS} events in c1`, () => (agent.counter('CHANNEL.c1', 'ChannelSize') === EVENTS ? true : undefined));
  } finally {
    assert.equal(await agent.stop(), 0);
  }
  const segments = segmentFiles(join(sub, 'data', 'c1', 'data'));
  assert.ok(segments.length >= 2, `several segments (${segments.length})`);
  const file = segments.at(-1)!;
  const records = segmentRecords(file);
  const last = records.at(-1)!;
  const size = statSync(file).size;
  assert.equal(last.type, 1, 'the last record is a PUT');
  assert.equal(last.offset + last.length, size, 'the records walk to the end of the file');
  assert.equal(last.events, BATCH);
  return { file, last, size };
}

/** Starts the drain agent; checks what it logged and delivered. */
async function recover(sub: string, damaged: { file: string; last: RecordInfo }): Promise<Record<string, unknown>> {
  const out = join(sub, 'out');
  const agent = new AgentProcess(sub, 'a1', drainConfig(out), ['--status-interval', '50']);
  const kept = EVENTS - damaged.last.events!;
  try {
    await agent.ready();
    await waitFor('the surviving events delivered', () => (readRolledLines(out).length >= kept ? true : undefined));
    await waitFor('c1 drained', () => (agent.counter('CHANNEL.c1', 'ChannelSize') === 0 ? true : undefined));
    assert.deepEqual(
      readRolledLines(out),
      Array.from({ length: kept }, (_, i) => String(i)),
      'every event before the damage, once, in order; none of the damaged batch',
    );
    assert.equal(agent.counter('CHANNEL.c1', 'EventsReplayed'), kept);
    const cut = logsMatching(agent, /^Cut a torn record at the end of the log/);
    assert.equal(cut.length, 1, 'the cut is logged once');
    assert.equal(cut[0]!['level'], LEVEL.error, 'at error level: the record held a batch');
    assert.equal(cut[0]!['file'], damaged.file);
    assert.equal(cut[0]!['offset'], damaged.last.offset);
    // The file was cut there: what follows now are the sink's ACK records, walking to the end.
    const after = segmentRecords(damaged.file).filter((r) => r.offset >= damaged.last.offset);
    assert.ok(after.length > 0 && after[0]!.offset === damaged.last.offset, 'new records start where the damage was');
    assert.ok(after.every((r) => r.type === 2), 'only ACKs were appended');
    // After them at most a direct write's zero padding (less than a block) while the agent runs.
    const rest = readFileSync(damaged.file).subarray(after.at(-1)!.offset + after.at(-1)!.length);
    assert.ok(rest.length < 4096 && rest.every((b) => b === 0), `no garbage left in the file (${rest.length} bytes after the records)`);
    return cut[0]!;
  } finally {
    assert.equal(await agent.stop(), 0);
  }
}

test('the last record cut short: the events before it are recovered and delivered, the cut is logged', async () => {
  const sub = join(dir, 'truncate');
  mkdirSync(sub);
  const { file, last } = await fill(sub);
  const keep = last.offset + RECORD_HEADER_SIZE + Math.floor((last.length - RECORD_HEADER_SIZE) / 2);
  truncateSync(file, keep);
  const cut = await recover(sub, { file, last });
  assert.equal(cut['droppedBytes'], keep - last.offset, 'says how many bytes it dropped');
  console.log(`# torn (truncated) record: ${JSON.stringify({ reason: cut['reason'], claimed: cut['claimed'], droppedBytes: cut['droppedBytes'] })}`);
});

test('the last record garbled in place: the events before it are recovered and delivered, the cut is logged', async () => {
  const sub = join(dir, 'garble');
  mkdirSync(sub);
  const { file, last, size } = await fill(sub);
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, Buffer.alloc(16, 0xa5), 0, 16, last.offset + Math.floor(last.length / 2));
  } finally {
    closeSync(fd);
  }
  const cut = await recover(sub, { file, last });
  assert.equal(cut['droppedBytes'], size - last.offset, 'the whole damaged record is dropped');
  console.log(`# torn (garbled) record: ${JSON.stringify({ reason: cut['reason'], claimed: cut['claimed'], droppedBytes: cut['droppedBytes'] })}`);
});

test('a record damaged in the middle after a checkpoint covered it: takes stop at it with the remedy named; repair drops it and logs the loss', async (t) => {
  const sub = join(dir, 'middle');
  mkdirSync(sub);
  // The default checkpointOnClose covers every record: the next start reads none of them back.
  const covered = (text: string) => text.replace('a1.channels.c1.checkpointOnClose = false\n', '');
  const filler = new AgentProcess(sub, 'a1', covered(fillConfig()), ['--status-interval', '50']);
  try {
    await filler.ready();
    await waitFor(`${EVENTS} events in c1`, () => (filler.counter('CHANNEL.c1', 'ChannelSize') === EVENTS ? true : undefined));
  } finally {
    assert.equal(await filler.stop(), 0);
  }
  const file = segmentFiles(join(sub, 'data', 'c1', 'data')).at(-1)!;
  const records = segmentRecords(file);
  const victim = records[Math.floor(records.length / 2)]!;
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, Buffer.alloc(8, 0x5a), 0, 8, victim.offset + Math.floor(victim.length / 2));
  } finally {
    closeSync(fd);
  }
  const lost = Array.from({ length: victim.events! }, (_, i) => victim.putSeq! * BATCH + i);
  const out = join(sub, 'out');

  const stuck = new AgentProcess(sub, 'a1', covered(drainConfig(out)), ['--status-interval', '50']);
  try {
    await stuck.ready();
    const damaged = await waitFor('the damage logged', () => logsMatching(stuck, /^A batch in the log is damaged/)[0]);
    assert.equal(damaged['level'], LEVEL.error);
    assert.equal(damaged['file'], file);
    assert.equal(damaged['offset'], victim.offset);
    await waitFor('takes fail at it', () => (stuck.counter('CHANNEL.c1', 'EventTakeErrorCount') >= 3 ? true : undefined));
    const refused = logsMatching(stuck, /^The channel refused a TAKE/);
    assert.ok(refused.length > 0 && refused.every((l) => /set repair = true to drop it/.test(String(l['reply']))), 'the sink is told the remedy');
    assert.equal(logsMatching(stuck, /^A batch in the log is damaged/).length, 1, 'logged once, not at every take');
    // The sink drains everything it can; what stays in the channel is what did not come out.
    const delivered = await waitFor('the output and the channel agree', () => {
      const lines = readRolledLines(out);
      return stuck.counter('CHANNEL.c1', 'ChannelSize') === EVENTS - lines.length ? lines : undefined;
    });
    const lostSet = new Set(lost.map(String));
    assert.ok(!delivered.some((l) => lostSet.has(l)), 'nothing of the damaged batch came out');
    assert.equal(new Set(delivered).size, delivered.length, 'no duplicate');
    assert.ok(delivered.length < EVENTS - lost.length, 'events around the damaged batch are held with it, none dropped');
    await t.test(
      'events come out in channel order while a take fails',
      () => assert.deepEqual(delivered, Array.from({ length: delivered.length }, (_, i) => String(i))),
    );
  } finally {
    assert.equal(await stuck.stop(), 0);
  }

  const repaired = new AgentProcess(sub, 'a1', covered(drainConfig(out)) + 'a1.channels.c1.repair = true\n', ['--status-interval', '50']);
  try {
    await repaired.ready();
    await waitFor('c1 drained', () => (repaired.counter('CHANNEL.c1', 'ChannelSize') === 0 ? true : undefined));
    const dropped = logsMatching(repaired, /^Repair: dropped a batch damaged on disk/);
    assert.equal(dropped.length, 1);
    assert.equal(dropped[0]!['putSeq'], victim.putSeq);
    assert.equal(dropped[0]!['events'], victim.events);
    assert.equal(dropped[0]!['file'], file);
    const gone = new Set(lost.map(String));
    assert.deepEqual(
      [...readRolledLines(out)].sort((a, b) => Number(a) - Number(b)),
      Array.from({ length: EVENTS }, (_, i) => String(i)).filter((l) => !gone.has(l)),
      'every event but the damaged batch, once',
    );
  } finally {
    assert.equal(await repaired.stop(), 0);
  }
});
