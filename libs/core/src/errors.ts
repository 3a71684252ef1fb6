/**
 * Every error Sluice raises on purpose carries a stable `code` (documented in docs/errors.md,
 * checked by a test) and says whether retrying the same operation can succeed.
 */
export const ERROR_CODES = {
  SLUICE_ERR_CONFIG: 'The configuration is invalid; the message lists every problem with file:line.',
  SLUICE_ERR_CONFIG_READ: 'The configuration file could not be read.',
  SLUICE_ERR_USAGE: 'The command line is invalid.',
  SLUICE_ERR_CHANNEL_FULL: 'A channel has no room for the batch; the sender backs off and retries.',
  SLUICE_ERR_BATCH_TOO_LARGE: 'A batch holds more events than the channel transactionCapacity allows.',
  SLUICE_ERR_MALFORMED_BATCH: 'Bytes that should hold an Avro array of events do not.',
  SLUICE_ERR_TIMEOUT: 'A peer did not answer in time; the outcome is unknown and the request is resent.',
  SLUICE_ERR_UNKNOWN_TX: 'The channel does not know the transaction (it restarted); the sender re-sends or treats it as rolled back.',
  SLUICE_ERR_LEASE_EXPIRED: 'An ACK arrived after the lease had expired; the events were already re-queued.',
  SLUICE_ERR_PROTOCOL: 'A peer sent a message that breaks the data-plane protocol.',
  SLUICE_ERR_LOCKED: 'Another live process holds the lock on a run or data directory.',
  SLUICE_ERR_PATH_TOO_LONG: 'An ipc:// or unix socket path exceeds 107 bytes.',
  SLUICE_ERR_DELIVERY: 'A sink could not deliver a batch downstream.',
  SLUICE_ERR_STOPPED: 'The component is stopping and refused the operation.',
  SLUICE_ERR_STORAGE: "A durable channel's disk write, read or fsync failed; after a failed fsync it refuses everything until its worker restarts. The message names the directory.",
  SLUICE_ERR_CORRUPT_LOG: "A file channel's log is damaged in the middle, or was written by a newer format; the message names the file, the offset and the remedy (repair = true).",
  SLUICE_ERR_START: 'A channel could not start (a locked directory, an unwritable path...); the agent stopped. The log says why.',
  SLUICE_ERR_NO_AGENT: 'No agent answers on the control socket of that run dir (none is running, or the socket is stale).',
  SLUICE_ERR_CONTROL: 'A control request is malformed or not allowed (bad JSON, unknown operation, another user).',
  SLUICE_ERR_UNKNOWN_COMPONENT: 'A control request names a component the agent does not run.',
  SLUICE_ERR_RELOAD: 'A reload was refused (the new config is invalid, or it removes a non-empty channel without --force); the running agent is unchanged.',
  SLUICE_ERR_METRICS_PORT: 'The HTTP monitoring port could not be bound (in use, or not allowed); the agent runs without it.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class SluiceError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;

  constructor(code: ErrorCode, message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SluiceError';
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}

export class ChannelFullError extends SluiceError {
  readonly retryAfterMs: number;
  constructor(channel: string, retryAfterMs: number) {
    super('SLUICE_ERR_CHANNEL_FULL', `channel ${channel} is full`, { retriable: true });
    this.retryAfterMs = retryAfterMs;
  }
}

export function isRetriable(err: unknown): boolean {
  return err instanceof SluiceError && err.retriable;
}
