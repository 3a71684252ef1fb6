/**
 * A `--plugin` for benchmarks: the `slow-disk-file` channel, the file channel with
 * SLOW_DISK_SYNC_DELAY_MS (default 2) added before every fdatasync.
 */
import { slowDiskFileChannel } from '@sluice/channels/testing';

export const factories = [slowDiskFileChannel(Number(process.env['SLOW_DISK_SYNC_DELAY_MS'] ?? 2))];
