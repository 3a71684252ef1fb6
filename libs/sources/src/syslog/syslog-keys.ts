import type { KeySpecs } from '@sluice/config';
import { parseKeepFields, type KeepFields } from './keep-fields.js';

/** The keys every syslog source shares, with Flume's spelling and defaults. */
export const SYSLOG_COMMON_KEYS = {
  keepFields: {
    format: 'string',
    default: 'none',
    doc: 'Header fields kept in the body before the message: `none` (or `false`), `all` (or `true`: the raw message), or a space-separated subset of `priority version timestamp hostname`.',
  },
  clientIPHeader: { format: 'string', default: '', doc: "Header to put the client's IP address in; empty: none." },
  clientHostnameHeader: {
    format: 'string',
    default: '',
    doc: "Header to put the client's host name in (reverse DNS, the address when it has none); empty: none.",
  },
  batchSize: {
    format: 'int',
    default: 100,
    min: 1,
    doc: 'Most messages of one read committed in one batch. Keep it within the channel transactionCapacity.',
  },
} as const satisfies KeySpecs;

/** The TCP syslog sources' keys besides SYSLOG_COMMON_KEYS. */
export const SYSLOG_TCP_KEYS = {
  eventSize: {
    format: 'int',
    default: 2500,
    min: 10,
    doc: 'Most bytes of one message; a longer one is cut into pieces of this size, the first marked `flume.syslog.status = Incomplete`.',
  },
  maxConnections: {
    format: 'int',
    default: 1000,
    min: 1,
    doc: "Sluice extension: most connections open at once. A new one past it takes the place of the connection quiet longest; while every one has a batch being committed, it is refused. Keep it below the worker's file descriptor limit.",
  },
} as const satisfies KeySpecs;

/** keepFields as validated by the factories' check(); throws only on a config check() refused. */
export function keepFieldsOf(value: string): KeepFields {
  const keep = parseKeepFields(value);
  if (typeof keep === 'string') throw new Error(keep);
  return keep;
}

/** The check() message for a bad keepFields, or none. */
export function keepFieldsErrors(value: string): string[] {
  const keep = parseKeepFields(value);
  return typeof keep === 'string' ? [keep] : [];
}
