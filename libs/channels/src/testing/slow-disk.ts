import type { ChannelFactory } from '@sluice/config';
import { createFileStore, fileChannel } from '../file/file-channel.js';

/**
 * The file channel as on a slow disk: every fdatasync (and O_DSYNC write) waits `delayMs` first.
 * Registered as its own type, `slow-disk-file` (with `--plugin` in benchmarks), with the file
 * channel's keys; never part of the product.
 */
export function slowDiskFileChannel(delayMs: number): ChannelFactory {
  return {
    ...fileChannel,
    type: 'slow-disk-file',
    aliases: [],
    doc: `The file channel with ${delayMs} ms added before every fdatasync: a slow disk, for benchmarks.`,
    create: (config, ctx) => createFileStore(config as Parameters<typeof fileChannel.create>[0], ctx, delayMs),
  };
}
