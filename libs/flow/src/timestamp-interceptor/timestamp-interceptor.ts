import type { InterceptorFactory, KeySpecs } from '@sluice/config';
import { setHeader } from '../set-header.js';

export const TIMESTAMP_KEYS = {
  headerName: { format: 'string', default: 'timestamp', doc: 'Name of the header.' },
  preserveExisting: { format: 'bool', default: false, doc: 'Keep the value of an event that already has the header.' },
} as const satisfies KeySpecs;

/** `timestamp`: the agent's current time in epoch milliseconds, read once per batch. */
export const timestampInterceptor: InterceptorFactory<typeof TIMESTAMP_KEYS> = {
  kind: 'interceptor',
  type: 'timestamp',
  aliases: ['org.apache.flume.interceptor.TimestampInterceptor$Builder'],
  doc: 'Sets the header `headerName` to the current time in milliseconds since the epoch (decimal).',
  keys: TIMESTAMP_KEYS,
  create(config) {
    const { headerName, preserveExisting } = config;
    return { intercept: (events) => setHeader(events, headerName, String(Date.now()), preserveExisting) };
  },
};
