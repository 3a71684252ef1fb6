import * as fs from 'node:fs';
import * as path from 'node:path';
import { channelKeys, defineFactory, type Config, type HostProblem, type KeySpecs, type Resource } from '@sluice/config';
import type { ComponentContext } from '@sluice/core';
import { dirProblem } from './dir-probe.js';
import { FileChannelStore } from './file-store.js';

/** Flume's code default (2^31 − 1 − 500 MiB); its User Guide says 2146435071, accepted as the maximum. */
const DEFAULT_MAX_FILE_SIZE = 1_623_195_647;
const MAX_FILE_SIZE = 2_146_435_071;
const FLOOR_MINIMUM_REQUIRED_SPACE = 1024 * 1024;

const keys = {
  checkpointDir: {
    format: 'string',
    default: '',
    doc: 'Directory of the checkpoint, created (mode 0700) when missing. Default: <agent data dir>/<channel>/checkpoint.',
  },
  dataDirs: {
    format: 'list-comma',
    default: [],
    doc: 'Comma-separated data directories for the log, created (mode 0700) when missing; commits are spread over them round robin. Default: <agent data dir>/<channel>/data.',
  },
  useDualCheckpoints: { format: 'bool', default: false, doc: 'Also write every checkpoint to backupCheckpointDir (used when the main one is damaged).' },
  backupCheckpointDir: {
    format: 'string',
    default: '',
    doc: 'Directory of the backup checkpoint, created (mode 0700) when missing; required with useDualCheckpoints, must differ from checkpointDir.',
  },
  compressBackupCheckpoint: { format: 'bool', default: false, doc: 'Accepted for compatibility; Sluice checkpoints are compact and written uncompressed (a warning says so).' },
  ...channelKeys({ capacity: 1_000_000, transactionCapacity: 10_000 }),
  checkpointInterval: { format: 'int', default: 30_000, min: 100, doc: 'Milliseconds between checkpoints; a start replays only the log written since the last one.' },
  maxFileSize: { format: 'int', default: DEFAULT_MAX_FILE_SIZE, min: 65_536, max: MAX_FILE_SIZE, doc: 'Bytes after which a new log segment is started; segments are deleted once every event in them is acknowledged.' },
  minimumRequiredSpace: {
    format: 'int',
    default: 524_288_000,
    min: FLOOR_MINIMUM_REQUIRED_SPACE,
    doc: 'Bytes that must stay free on each data dir disk: below it commits answer full (takes, acks and checkpoints may still use it), and a checkpoint runs at once (at most once a second) when it can delete acknowledged segments. At least 1 MiB.',
  },
  checkpointOnClose: { format: 'bool', default: true, doc: 'Write a checkpoint when the channel stops, so the next start replays nothing.' },
  fsyncPerTransaction: {
    format: 'bool',
    default: true,
    doc: 'fdatasync every commit and ack before answering (group commit shares one among concurrent ones). false: fdatasync every fsyncInterval seconds; a power loss (not a crash) can then lose that much acknowledged data.',
  },
  fsyncInterval: { format: 'int', default: 5, min: 1, doc: "Seconds between fdatasyncs when fsyncPerTransaction is false (Flume's unit and default)." },
  directIo: {
    format: 'bool',
    default: true,
    doc: "Sluice: with fsyncPerTransaction, write the log with O_DIRECT (no page-cache copy; used where the data dir's file system allows it). false: write through the page cache with O_DSYNC.",
  },
  repair: {
    format: 'bool',
    default: false,
    doc: 'Sluice: open a log damaged in the middle by skipping the damaged records (each logged with what was lost) instead of refusing to start.',
  },
  'use-fast-replay': { format: 'bool', default: false, doc: 'Accepted for compatibility; has no effect (replay is always the fast one).' },
  'use-log-replay-v1': { format: 'bool', default: false, doc: 'Accepted for compatibility; has no effect.' },
} as const satisfies KeySpecs;

/** The directories the configuration names, each with its key (the defaults live under the agent's data dir). */
function configuredDirs(config: { checkpointDir: string; dataDirs: readonly string[]; useDualCheckpoints: boolean; backupCheckpointDir: string }): [string, string][] {
  return [
    ...(config.checkpointDir !== '' ? [['checkpointDir', config.checkpointDir] as [string, string]] : []),
    ...config.dataDirs.map((d) => ['dataDirs', d] as [string, string]),
    ...(config.useDualCheckpoints && config.backupCheckpointDir !== '' ? [['backupCheckpointDir', config.backupCheckpointDir] as [string, string]] : []),
  ];
}

/** The `file` channel: a durable write-ahead log with checkpoints (Flume's FileChannel keys). */
export const fileChannel = defineFactory({
  kind: 'channel',
  type: 'file',
  aliases: ['org.apache.flume.channel.file.FileChannel'],
  doc: 'Durable channel: every commit and ack is on disk (fdatasync, group commit) before it is answered; survives kill -9 and power loss.',
  durability: 'durable',
  keys,
  dynamicKeys: {
    'encryption.': { format: 'string', default: '', doc: 'Flume file-channel encryption: not supported, refused.' },
  },
  check(config) {
    const errors: string[] = [];
    if (config.useDualCheckpoints) {
      if (config.backupCheckpointDir === '') errors.push('useDualCheckpoints is true but backupCheckpointDir is not set');
      else if (config.checkpointDir !== '' && path.resolve(config.backupCheckpointDir) === path.resolve(config.checkpointDir)) {
        errors.push('backupCheckpointDir must differ from checkpointDir');
      }
    } else if (config.backupCheckpointDir !== '') {
      errors.push('backupCheckpointDir is set but useDualCheckpoints is false: set useDualCheckpoints = true or remove it');
    }
    const dirs = config.dataDirs.map((d) => path.resolve(d));
    if (new Set(dirs).size !== dirs.length) errors.push('dataDirs lists the same directory twice');
    if (config.dataDirs.some((d) => d === '')) errors.push('dataDirs has an empty entry');
    const encryption = Object.keys(config).filter((k) => k.startsWith('encryption.'));
    if (encryption.length > 0) {
      errors.push(
        `file channel encryption is not supported (${encryption.join(', ')}): Sluice refuses rather than write the events in clear; remove these keys and encrypt the file system instead`,
      );
    }
    return errors;
  },
  resources(config) {
    return configuredDirs(config).map(([key, dir]): Resource => ({ kind: 'directory', path: path.resolve(dir), key }));
  },
  checkHost(config) {
    const problems: HostProblem[] = [];
    for (const [key, dir] of configuredDirs(config)) {
      const problem = dirProblem(dir);
      if (problem === undefined) continue;
      const verb = fs.existsSync(dir) ? 'use' : 'create';
      problems.push({ key, message: `cannot ${verb} directory ${dir}: ${problem}` });
    }
    return problems;
  },
  create: (config, ctx) => createFileStore(config, ctx),
});

type FileChannelConfig = Config<typeof keys>;

/**
 * The store of a file channel from its validated config. `syncDelayMs` delays every fdatasync (and
 * O_DSYNC write), to measure the channel as on a slow disk; only the testing entry point sets it.
 */
export function createFileStore(config: FileChannelConfig, ctx: ComponentContext, syncDelayMs = 0): FileChannelStore {
  const base = path.join(ctx.dataDir, ctx.name);
  const checkpointDir = config.checkpointDir || path.join(base, 'checkpoint');
  const dataDirs = config.dataDirs.length > 0 ? config.dataDirs : [path.join(base, 'data')];
  const backupCheckpointDir = config.useDualCheckpoints ? config.backupCheckpointDir : undefined;
  // Every directory is created when missing, as Flume does (recursively, mode 0700).
  const createMissing = [checkpointDir, ...dataDirs, ...(backupCheckpointDir ? [backupCheckpointDir] : [])];
  const dirKeys = Object.fromEntries(configuredDirs(config).map(([key, dir]) => [path.resolve(dir), key]));
  if (config.compressBackupCheckpoint) {
    ctx.logger.warn('compressBackupCheckpoint is ignored: the backup checkpoint is written uncompressed.');
  }
  for (const k of ['use-fast-replay', 'use-log-replay-v1'] as const) {
    if (config[k]) ctx.logger.warn({ key: k }, 'This Flume replay option has no effect in Sluice.');
  }
  return new FileChannelStore(
    {
      name: ctx.name,
      checkpointDir,
      backupCheckpointDir,
      dataDirs,
      capacity: config.capacity,
      checkpointIntervalMs: config.checkpointInterval,
      maxFileSize: config.maxFileSize,
      minimumRequiredSpace: config.minimumRequiredSpace,
      checkpointOnClose: config.checkpointOnClose,
      fsyncPerTransaction: config.fsyncPerTransaction,
      directIo: config.directIo,
      fsyncIntervalMs: config.fsyncInterval * 1000,
      repair: config.repair,
      syncDelayMs,
      createMissing,
      dirKeys,
    },
    ctx,
  );
}
