import assert from 'node:assert/strict';
import { closeSync, openSync, readdirSync, readSync, rmSync, statfsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentProcess } from './agent.js';

/*
 * Support for the file-channel end-to-end tests: hard kills of a whole agent, log lines by
 * message, and a reader of the segment format documented in docs/file-channel.md (written from
 * the document, not from the channel's code, so the tests also check the document).
 */

export { freePort } from './agent.js';
export { childPids, gone, killAgentHard } from './process-kill.js';

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Starts an agent again in the directory of one that was killed. The dead agent's status.json
 * still says "running" (AgentProcess.ready() would believe it): it is removed first.
 */
export function restartAgent(dir: string, start: () => AgentProcess): AgentProcess {
  rmSync(join(dir, 'run', 'status.json'), { force: true });
  return start();
}

/** The agent's JSON log lines whose message matches. */
export function logsMatching(agent: AgentProcess, re: RegExp): Record<string, unknown>[] {
  return agent.logLines().filter((l) => typeof l['msg'] === 'string' && re.test(l['msg'] as string));
}

/** Pino's numeric levels. */
export const LEVEL = { debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;

/**
 * Asserts that the log lines of crash tests hold no error but torn-record cuts at restart. A kill
 * in the middle of a large writev may leave a torn last record (never an acknowledged one: its
 * synced write had not completed); the channel cuts it at error level because it cannot tell that
 * from a disk that lost a synced write. Such cuts are printed, not failed.
 */
export function assertNoErrorButTornCuts(lines: readonly Record<string, unknown>[], message: string): void {
  const isCut = (l: Record<string, unknown>) => /^Cut a torn/.test(String(l['msg']));
  const cuts = lines.filter(isCut);
  if (cuts.length > 0) console.log(`# torn tails cut at restart: ${JSON.stringify(cuts.map((c) => ({ file: c['file'], droppedBytes: c['droppedBytes'] })))}`);
  assert.deepEqual(
    lines.filter((l) => Number(l['level']) >= LEVEL.error && !isCut(l)).map((l) => `${String(l['msg'])} ${JSON.stringify(l['err'] ?? '')}`),
    [],
    message,
  );
}

/** Free bytes for an unprivileged writer on the file system holding `dir`. */
export function freeBytes(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

// ---- the segment format (docs/file-channel.md, "On-disk format (version 1)") -------------------

export const SEGMENT_HEADER_SIZE = 40;
export const RECORD_HEADER_SIZE = 16;
const RECORD_MAGIC = 'SLRC';

/** Segment files `log-<id>` of a data dir, oldest first. */
export function segmentFiles(dataDir: string): string[] {
  return readdirSync(dataDir)
    .filter((n) => /^log-\d+$/.test(n))
    .sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)))
    .map((n) => join(dataDir, n));
}

export interface RecordInfo {
  /** Offset of the record header in the file. */
  readonly offset: number;
  /** Header plus payload. */
  readonly length: number;
  /** 1 = PUT, 2 = ACK. */
  readonly type: number;
  /** PUT only: the put sequence number and event count. */
  readonly putSeq?: number;
  readonly events?: number;
}

/** Where a segment's complete records end (a direct write's zero padding may follow them). */
export function recordsEnd(file: string): number {
  const last = segmentRecords(file).at(-1);
  return last === undefined ? SEGMENT_HEADER_SIZE : last.offset + last.length;
}

/**
 * The records of a segment, by walking the length fields from the header on (no checksum check:
 * the files read here are whole). Stops at the end of the file or at a header without the magic.
 */
export function segmentRecords(file: string): RecordInfo[] {
  const size = statSync(file).size;
  const fd = openSync(file, 'r');
  const records: RecordInfo[] = [];
  try {
    const head = Buffer.alloc(RECORD_HEADER_SIZE + 12);
    let offset = SEGMENT_HEADER_SIZE;
    while (offset + RECORD_HEADER_SIZE <= size) {
      const n = readSync(fd, head, 0, head.length, offset);
      if (n < RECORD_HEADER_SIZE || head.toString('latin1', 0, 4) !== RECORD_MAGIC) break;
      const type = head[4]!;
      const length = RECORD_HEADER_SIZE + head.readUInt32LE(8);
      const put = type === 1 && n >= RECORD_HEADER_SIZE + 12;
      records.push({
        offset,
        length,
        type,
        ...(put ? { putSeq: head.readDoubleLE(RECORD_HEADER_SIZE), events: head.readUInt32LE(RECORD_HEADER_SIZE + 8) } : {}),
      });
      offset += length;
    }
  } finally {
    closeSync(fd);
  }
  return records;
}
