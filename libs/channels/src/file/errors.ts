import { ChannelFullError, SluiceError, type ErrorCode } from '@sluice/core';

/**
 * The file channel's failure kinds and the error code each one uses:
 * - `diskFull`: a write hit ENOSPC/EDQUOT; nothing was acknowledged; retry once space returns
 *   (a FULL, so sources hold back as for any full channel).
 * - `io`: a write, read or fsync failed otherwise; after a failed fsync the store refuses everything
 *   until it is reopened (the page cache can no longer be trusted).
 * - `corrupt`: the log is damaged in the middle, or a file is in a format this version cannot read.
 * - `setup`: a directory is missing, not writable, or the options are inconsistent.
 */
const CODES = {
  diskFull: 'SLUICE_ERR_CHANNEL_FULL',
  io: 'SLUICE_ERR_STORAGE',
  corrupt: 'SLUICE_ERR_CORRUPT_LOG',
  setup: 'SLUICE_ERR_CONFIG',
} as const satisfies Record<string, ErrorCode>;

export type FileErrorKind = keyof typeof CODES;

/** A SluiceError for one of the file channel's failure kinds. */
export function fileError(kind: FileErrorKind, message: string, cause?: unknown): SluiceError {
  if (kind === 'diskFull') {
    const err = new ChannelFullError('file', 1000);
    err.message = message;
    if (cause !== undefined) (err as { cause?: unknown }).cause = cause;
    return err;
  }
  return new SluiceError(CODES[kind], message, { retriable: false, cause });
}

/** True for the errno codes that mean "no space left" (retriable once space returns). */
export function isNoSpace(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}
