import { join } from 'node:path';
import { SluiceError } from '@sluice/core';

/** The longest path a unix socket address can hold on Linux (sun_path less its NUL). */
export const MAX_SOCKET_PATH = 107;

/** The ipc:// endpoint of a channel in a run dir; throws SLUICE_ERR_PATH_TOO_LONG past 107 bytes. */
export function channelEndpoint(runDir: string, channel: string): string {
  return ipcEndpoint(join(runDir, `channel-${channel}.sock`));
}

export function ipcEndpoint(path: string): string {
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
    throw new SluiceError(
      'SLUICE_ERR_PATH_TOO_LONG',
      `socket path ${path} is ${Buffer.byteLength(path)} bytes, over the ${MAX_SOCKET_PATH}-byte limit: choose a shorter --run-dir`,
    );
  }
  return `ipc://${path}`;
}
