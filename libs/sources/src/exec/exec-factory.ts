import type { Config, KeySpecs, SourceFactory } from '@sluice/config';
import { charsetError } from '../charset.js';
import { ExecSource } from './exec-source.js';


export const EXEC_KEYS = {
  command: {
    format: 'string',
    default: undefined,
    doc: 'The command to run. Without `shell` it is split on whitespace (no quoting); with `shell` it is passed as one argument.',
  },
  shell: {
    format: 'string',
    default: '',
    doc: 'A shell to run the command with, e.g. `/bin/sh -c` (split on whitespace, then the command is appended). Empty: no shell.',
  },
  restart: { format: 'bool', default: false, doc: 'Run the command again after it exits.' },
  restartThrottle: { format: 'int', default: 10000, min: 0, doc: 'Milliseconds to wait before running the command again.' },
  logStdErr: {
    format: 'bool',
    default: false,
    doc: "Log the command's stderr lines at info level. Either way the last 10 lines (each cut at 512 bytes) are logged with the command's exit: at warn when it fails.",
  },
  batchSize: { format: 'int', default: 20, min: 1, doc: 'Lines per batch sent to the channels.' },
  batchTimeout: {
    format: 'int',
    default: 3000,
    min: 1,
    doc: 'Milliseconds after which a partial batch is sent anyway.',
  },
  charset: {
    format: 'string',
    default: 'UTF-8',
    doc: 'Charset of the output. Sluice splits lines on the byte 0x0A and passes bytes through unchanged, so only ASCII-compatible charsets are accepted.',
  },
  maxLineLength: {
    format: 'int',
    default: 16 * 1024 * 1024,
    min: 1,
    doc: 'Sluice extension: a line longer than this many bytes is sent as several events of at most this size (logged at warn), so memory stays bounded. Flume has no limit.',
  },
} as const satisfies KeySpecs;

export type ExecConfig = Config<typeof EXEC_KEYS>;

/**
 * `exec`: runs a command and turns each line of its stdout into an event. Unlike Flume, it stops
 * reading (the command blocks on its full pipe) while the channels are full, and never drops a line.
 */
export const execSource: SourceFactory<typeof EXEC_KEYS> = {
  kind: 'source',
  type: 'exec',
  aliases: ['org.apache.flume.source.ExecSource'],
  doc: "Runs a command and emits each line of its stdout as an event (headers empty, body the line's bytes without `\\n` or `\\r\\n`). Back-pressure: while the channels are full the command's stdout is not read. No delivery guarantee across restarts (no read position).",
  keys: EXEC_KEYS,
  batchSizeKey: 'batchSize',
  check(config) {
    const errors: string[] = [];
    if (config.command.trim() === '') errors.push('command: must not be empty');
    const charset = charsetError('charset', config.charset);
    if (charset !== undefined) errors.push(charset);
    return errors;
  },
  create(config, ctx) {
    return new ExecSource(config, ctx);
  },
};
