import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Counters } from '@sluice/core';
import { memoryLogger, type LogRecord } from '@sluice/testkit';
import type { FileStoreOptions } from '../file/file-store.js';
import { RECORD_HEADER_SIZE, RECORD_MAGIC, SEGMENT_HEADER_SIZE } from '../file/record-format.js';
import { CrashableFileStore } from './crashable-file-store.js';

export { LEVEL } from '@sluice/testkit';

/** A fresh temporary directory, removed by `cleanup`. */
export function tempDir(prefix = 'sluice-fc-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Store options for tests: small files, a checkpoint only when asked, data under `root`. */
export function testOptions(root: string, overrides: Partial<FileStoreOptions> = {}): FileStoreOptions {
  return {
    name: 'c1',
    checkpointDir: path.join(root, 'checkpoint'),
    dataDirs: [path.join(root, 'data')],
    capacity: 1000,
    checkpointIntervalMs: 3_600_000,
    maxFileSize: 64 * 1024,
    minimumRequiredSpace: 0,
    checkpointOnClose: true,
    fsyncPerTransaction: true,
    fsyncIntervalMs: 1000,
    repair: false,
    createMissing: [path.join(root, 'checkpoint'), path.join(root, 'data')],
    ...overrides,
  };
}

/** A store over `options` with a capturing logger and fresh counters (not opened). */
export function makeStore(options: FileStoreOptions): { store: CrashableFileStore; lines: LogRecord[]; counters: Counters } {
  const { logger, records: lines } = memoryLogger();
  const counters = new Counters();
  return { store: new CrashableFileStore(options, { logger, counters }), lines, counters };
}

/** Segment files (`log-N`) under a directory, by full path, in id order. */
export function segmentFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((n) => /^log-\d+$/.test(n))
    .sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)))
    .map((n) => path.join(dir, n));
}

/** The offset just after the last record of a segment file (before any zero padding). */
export function recordsEnd(file: string): number {
  return walkRecords(fs.readFileSync(file)).end;
}

/**
 * Start offsets of the records of a segment file, walking the length fields (no checksums) up to
 * the end of the file or the first header without the record magic (a direct write's padding).
 */
export function recordOffsets(file: string): number[] {
  return walkRecords(fs.readFileSync(file)).offsets;
}

function walkRecords(b: Buffer): { offsets: number[]; end: number } {
  const offsets: number[] = [];
  let o = SEGMENT_HEADER_SIZE;
  const magicAt = (at: number) => b.subarray(at, at + RECORD_MAGIC.length).equals(RECORD_MAGIC);
  for (; o + RECORD_HEADER_SIZE <= b.length && magicAt(o); o += RECORD_HEADER_SIZE + b.readUInt32LE(o + 8)) offsets.push(o);
  return { offsets, end: o };
}
