import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Logger } from '@sluice/core';
import { readCheckpoint, type CheckpointData } from './checkpoint.js';
import { fileError } from './errors.js';
import { Entry, QueueState } from './queue-state.js';
import { decodeSegmentHeader, FORMAT_VERSION, SEGMENT_HEADER_SIZE, type AckRange } from './record-format.js';
import { fsyncDir, listSegments, Segment, segmentName } from './segment.js';
import { scanSegment, type BadRecord, type ScannedPut, type SegmentScan } from './segment-scanner.js';

export interface ReplayOptions {
  readonly dataDirs: readonly string[];
  /** The checkpoint directory, then the backup one if dual checkpoints are on. */
  readonly checkpointDirs: readonly string[];
  readonly repair: boolean;
  /** How many recent transaction ids to remember for duplicate detection. */
  readonly dedupWindow: number;
  readonly logger: Logger;
}

export interface Replayed {
  /** Every usable segment, by id, open for reading and appending. */
  readonly segments: Map<number, Segment>;
  /** Per data directory, its newest usable segment (records are appended there), if any. */
  readonly lastSegment: Map<string, Segment | undefined>;
  readonly state: QueueState;
  /** Recent committed transaction ids, oldest first. */
  readonly txIds: string[];
  readonly nextPutSeq: number;
  readonly nextSegId: number;
  /** Where the queue came from. */
  readonly source: 'checkpoint' | 'backup checkpoint' | 'log';
  /** Records read from the log (the rest came from the checkpoint). */
  readonly recordsReplayed: number;
}

function corrupt(message: string): Error {
  return fileError('corrupt', message);
}

function describe(bad: BadRecord): string {
  return bad.claimed ? `${bad.reason}; header claimed ${bad.claimed}` : bad.reason;
}

/**
 * Rebuilds the queue from the newest usable checkpoint plus the log written after it (or from the
 * whole log when no checkpoint is usable): exactly the committed, unacknowledged events, in order.
 * Cuts torn tails (logging what was dropped), refuses damage in the middle of the log unless
 * `repair` is set (then skips it and logs what was lost), and refuses files written by a newer
 * format. Leaves no file open on failure.
 */
export function replay(opts: ReplayOptions): Replayed {
  const { logger, repair } = opts;
  const segments = new Map<number, Segment>();
  try {
    return replayInto(segments, opts, logger, repair);
  } catch (err) {
    for (const s of segments.values()) s.close();
    throw err;
  }
}

function openSegments(
  segments: Map<number, Segment>,
  dataDirs: readonly string[],
  logger: Logger,
  repair: boolean,
): { byDir: Map<string, Segment[]>; maxFirstPutSeq: number; maxSegId: number } {
  const byDir = new Map<string, Segment[]>();
  const dirOf = new Map<number, string>();
  let maxFirstPutSeq = 0;
  let maxSegId = 0;
  for (const dir of dataDirs) {
    const ids = listSegments(dir);
    const list: Segment[] = [];
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k]!;
      maxSegId = Math.max(maxSegId, id);
      const file = path.join(dir, segmentName(id));
      if (dirOf.has(id)) throw corrupt(`segment ${segmentName(id)} exists in both ${dirOf.get(id)} and ${dir}`);
      dirOf.set(id, dir);
      const fd = fs.openSync(file, 'r+');
      const size = fs.fstatSync(fd).size;
      const hb = Buffer.alloc(SEGMENT_HEADER_SIZE);
      const n = fs.readSync(fd, hb, 0, hb.length, 0);
      const h = decodeSegmentHeader(hb.subarray(0, n));
      const problem = !h.ok ? h.reason : h.header.id !== id ? `header names segment ${h.header.id}` : undefined;
      if (problem !== undefined) {
        fs.closeSync(fd);
        if (!h.ok && h.newerVersion !== undefined) {
          throw corrupt(`segment ${file} was written by a newer Sluice (format ${h.newerVersion}); this version reads format ${FORMAT_VERSION}`);
        }
        if (k === ids.length - 1 && size <= SEGMENT_HEADER_SIZE) {
          fs.rmSync(file);
          fsyncDir(dir);
          logger.warn({ file, size }, 'Removed a segment whose creation was interrupted (it held no record).');
          continue;
        }
        if (!repair) {
          throw corrupt(`segment ${file} has a damaged header (${problem}); set repair = true to skip the whole file (${size} bytes, logged as lost)`);
        }
        logger.error({ file, size, reason: problem }, 'Repair: skipped a segment with a damaged header; every record in it is lost.');
        continue;
      }
      if (!h.ok) continue; // unreachable: problem is set whenever !h.ok
      const seg = new Segment(id, dir, fd, h.header.salt, size);
      segments.set(id, seg);
      list.push(seg);
      maxFirstPutSeq = Math.max(maxFirstPutSeq, h.header.firstPutSeq);
    }
    byDir.set(dir, list);
  }
  return { byDir, maxFirstPutSeq, maxSegId };
}

/** Why a checkpoint cannot be used with these segments (undefined if it can). */
function checkpointProblem(cp: CheckpointData, segments: Map<number, Segment>, byDir: Map<string, Segment[]>): string | undefined {
  for (const p of cp.positions) {
    const seg = segments.get(p.segId);
    if (seg === undefined) return `it resumes in segment ${segmentName(p.segId)}, which is missing`;
    if (p.offset > seg.written || p.offset < SEGMENT_HEADER_SIZE) {
      return `it resumes at offset ${p.offset} of ${seg.path}, which holds ${seg.written} bytes`;
    }
  }
  for (const [dir, list] of byDir) {
    const placed = cp.positions.filter((p) => list.some((s) => s.id === p.segId));
    if (placed.length > 1) return `it has ${placed.length} resume positions in ${dir}`;
    if (placed.length === 0 && list.some((s) => s.id < cp.nextSegId)) return `it has no resume position for the segments in ${dir}`;
  }
  return undefined;
}

function chooseCheckpoint(
  opts: ReplayOptions,
  segments: Map<number, Segment>,
  byDir: Map<string, Segment[]>,
): { cp: CheckpointData; source: 'checkpoint' | 'backup checkpoint' } | undefined {
  const { logger, repair } = opts;
  for (const [i, dir] of opts.checkpointDirs.entries()) {
    const source = i === 0 ? 'checkpoint' : 'backup checkpoint';
    const read = readCheckpoint(dir);
    if (read.kind === 'newer') {
      throw corrupt(`the ${source} in ${dir} was written by a newer Sluice (format ${read.version}); this version reads format ${FORMAT_VERSION}`);
    }
    if (read.kind === 'missing') {
      if (segments.size > 0) logger.warn({ dir }, `No ${source} found.`);
      continue;
    }
    if (read.kind === 'bad') {
      logger.warn({ dir, reason: read.reason }, `The ${source} is damaged; not using it.`);
      continue;
    }
    // Batches the checkpoint holds must still be on disk: a missing one is lost data.
    let data = read.data;
    const lost = data.entries.filter((e) => {
      const seg = segments.get(e.segId);
      return seg === undefined || e.recOffset + e.recLen > seg.written;
    });
    if (lost.length > 0) {
      const events = lost.reduce((n, e) => n + e.count, 0);
      const where = [...new Set(lost.map((e) => segmentName(e.segId)))].join(', ');
      if (!repair) {
        throw corrupt(`the ${source} in ${dir} holds ${lost.length} batches (${events} events) in ${where}, missing or cut short in the data dirs; was a data dir removed? Set repair = true to open without them (logged as lost)`);
      }
      logger.error({ dir, batches: lost.length, events, segments: where }, 'Repair: batches of the checkpoint are missing from the data dirs; they are lost.');
      const gone = new Set(lost);
      data = { ...data, entries: data.entries.filter((e) => !gone.has(e)) };
    }
    const problem = checkpointProblem(data, segments, byDir);
    if (problem !== undefined) {
      logger.warn({ dir, reason: problem }, `The ${source} does not match the log; not using it.`);
      continue;
    }
    return { cp: data, source };
  }
  return undefined;
}

function replayInto(segments: Map<number, Segment>, opts: ReplayOptions, logger: Logger, repair: boolean): Replayed {
  const { byDir, maxFirstPutSeq, maxSegId } = openSegments(segments, opts.dataDirs, logger, repair);
  const chosen = chooseCheckpoint(opts, segments, byDir);
  const cp = chosen?.cp;
  if (cp === undefined && segments.size > 0) logger.warn({ segments: segments.size }, 'Replaying the whole log.');

  const puts: { put: ScannedPut; segId: number }[] = [];
  const acks: { range: AckRange; segId: number }[] = [];
  let records = 0;
  for (const list of byDir.values()) {
    const pos = cp?.positions.find((p) => list.some((s) => s.id === p.segId));
    const scans: { seg: Segment; scan: SegmentScan }[] = [];
    for (const seg of list) {
      if (pos !== undefined && seg.id < pos.segId) continue;
      const from = pos !== undefined && seg.id === pos.segId ? pos.offset : SEGMENT_HEADER_SIZE;
      const scan = scanSegment(seg.fd, seg.written, seg.salt, from, (bad, next) => {
        if (!repair) {
          throw corrupt(`log ${seg.path} is damaged at offset ${bad.offset} (${describe(bad)}) and valid records follow at offset ${next}; set repair = true to skip the damaged bytes (logged as lost)`);
        }
        logger.error(
          { file: seg.path, offset: bad.offset, next, lostBytes: next - bad.offset, reason: bad.reason, claimed: bad.claimed, possiblyCommittedBatch: bad.maybePut },
          'Repair: skipped damaged bytes in the middle of the log; whatever they held is lost.',
        );
      });
      scans.push({ seg, scan });
    }
    for (const [i, { seg, scan }] of scans.entries()) {
      records += scan.puts.length + scan.acks.length;
      for (const put of scan.puts) puts.push({ put, segId: seg.id });
      for (const range of scan.acks) acks.push({ range, segId: seg.id });
      const bad = scan.tail;
      if (bad === undefined) {
        // A direct write's zero padding after the last record: cut, so appends follow the records.
        if (scan.end < seg.written) {
          fs.ftruncateSync(seg.fd, scan.end);
          seg.written = seg.alloc = scan.end;
        }
        continue;
      }
      const later = scans.slice(i + 1).find((s) => s.scan.puts.length + s.scan.acks.length > 0);
      if (later !== undefined) {
        if (!repair) {
          throw corrupt(`log ${seg.path} is damaged at offset ${bad.offset} (${describe(bad)}) and valid records follow in ${later.seg.path}; set repair = true to skip the damaged bytes (logged as lost)`);
        }
        logger.error(
          { file: seg.path, offset: bad.offset, lostBytes: seg.written - bad.offset, reason: bad.reason, claimed: bad.claimed, possiblyCommittedBatch: bad.maybePut },
          'Repair: skipped the damaged end of a segment followed by newer segments; whatever it held is lost.',
        );
        continue;
      }
      // A torn tail: the last write never completed. Cut it so new records follow good ones.
      const dropped = seg.written - bad.offset;
      fs.ftruncateSync(seg.fd, bad.offset);
      fs.fdatasyncSync(seg.fd);
      seg.written = seg.alloc = bad.offset;
      const fields = { file: seg.path, offset: bad.offset, droppedBytes: dropped, reason: bad.reason, claimed: bad.claimed };
      if (bad.maybePut) {
        logger.error(fields, 'Cut a torn record at the end of the log: it held a batch whose commit was possibly acknowledged.');
      } else {
        logger.warn(fields, 'Cut a torn tail at the end of the log (no committed batch in it).');
      }
    }
  }

  const state = new QueueState();
  const segOfSeq = new Map<number, number>();
  let maxSeq = -1;
  for (const e of cp?.entries ?? []) {
    const entry = new Entry(e.seq, e.segId, e.recOffset, e.recLen, e.batchOffset, e.count);
    for (let i = 0; i + 1 < e.acked.length; i += 2) entry.markAcked(e.acked[i]!, e.acked[i + 1]!);
    state.restore(entry);
    segOfSeq.set(e.seq, e.segId);
    maxSeq = Math.max(maxSeq, e.seq);
  }
  puts.sort((a, b) => a.put.putSeq - b.put.putSeq);
  const txIds = [...(cp?.txIds ?? [])];
  for (const { put, segId } of puts) {
    maxSeq = Math.max(maxSeq, put.putSeq);
    txIds.push(put.txId);
    if (segOfSeq.has(put.putSeq)) continue;
    segOfSeq.set(put.putSeq, segId);
    state.restore(new Entry(put.putSeq, segId, put.recOffset, put.recLen, put.batchOffset, put.count));
  }
  for (const { range, segId } of acks) {
    maxSeq = Math.max(maxSeq, range.putSeq);
    state.replayAck(range);
    const ref = segOfSeq.get(range.putSeq);
    if (ref !== undefined && ref !== segId) segments.get(segId)?.ackRefs.add(ref);
  }
  for (const s of cp?.segments ?? []) {
    const seg = segments.get(s.segId);
    if (seg) for (const r of s.refs) seg.ackRefs.add(r);
  }
  state.rebuildQueue();
  for (const e of state.entries.values()) segments.get(e.segId)!.liveEntries++;

  const lastSegment = new Map<string, Segment | undefined>();
  for (const [dir, list] of byDir) lastSegment.set(dir, list.at(-1));
  return {
    segments,
    lastSegment,
    state,
    txIds: txIds.slice(-opts.dedupWindow),
    nextPutSeq: Math.max(cp?.nextPutSeq ?? 0, maxSeq + 1, maxFirstPutSeq),
    nextSegId: Math.max(cp?.nextSegId ?? 1, maxSegId + 1),
    source: chosen?.source ?? 'log',
    recordsReplayed: records,
  };
}
