import { randomUUID } from 'node:crypto';
import type { InterceptorFactory, KeySpecs } from '@sluice/config';

export const UUID_KEYS = {
  headerName: { format: 'string', default: 'id', doc: 'The header that gets the id.' },
  preserveExisting: { format: 'bool', default: true, doc: 'Keep the id of an event that already has the header.' },
  prefix: { format: 'string', default: '', doc: 'Text put before each id.' },
} as const satisfies KeySpecs;

/** `uuid`: gives each event a random (version 4) UUID in a header. */
export const uuidInterceptor: InterceptorFactory<typeof UUID_KEYS> = {
  kind: 'interceptor',
  type: 'uuid',
  aliases: ['org.apache.flume.sink.solr.morphline.UUIDInterceptor$Builder'],
  doc: 'Sets `headerName` to `prefix` followed by a random UUID (version 4), on each event that lacks it (on every event with `preserveExisting = false`).',
  keys: UUID_KEYS,
  create(config) {
    const { headerName, preserveExisting, prefix } = config;
    return {
      intercept(events) {
        for (const e of events) {
          if (preserveExisting && Object.hasOwn(e.headers, headerName)) continue;
          Object.defineProperty(e.headers, headerName, { value: prefix + randomUUID(), enumerable: true, writable: true, configurable: true });
        }
        return events;
      },
    };
  },
};
