import type { InterceptorFactory, KeySpecs } from '@sluice/config';
import { setHeader } from '../set-header.js';

export const STATIC_KEYS = {
  key: { format: 'string', default: 'key', doc: 'Name of the header to add.' },
  value: { format: 'string', default: 'value', doc: 'Value of the header.' },
  preserveExisting: { format: 'bool', default: true, doc: 'Keep the value of an event that already has the header.' },
} as const satisfies KeySpecs;

/** `static`: adds one constant header to every event. */
export const staticInterceptor: InterceptorFactory<typeof STATIC_KEYS> = {
  kind: 'interceptor',
  type: 'static',
  aliases: ['org.apache.flume.interceptor.StaticInterceptor$Builder'],
  doc: 'Adds the header `key` = `value` to every event.',
  keys: STATIC_KEYS,
  create(config) {
    const { key, value, preserveExisting } = config;
    return { intercept: (events) => setHeader(events, key, value, preserveExisting) };
  },
};
