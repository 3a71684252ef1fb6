import { hostname, networkInterfaces } from 'node:os';
import type { InterceptorFactory, KeySpecs } from '@sluice/config';
import { setHeader } from '../set-header.js';

export const HOST_KEYS = {
  hostHeader: { format: 'string', default: 'host', doc: 'Name of the header.' },
  useIP: { format: 'bool', default: true, doc: "The host's IPv4 address when true, its host name when false." },
  preserveExisting: { format: 'bool', default: false, doc: 'Keep the value of an event that already has the header.' },
} as const satisfies KeySpecs;

/** The first non-internal IPv4 address of this host, else 127.0.0.1; or the host name. */
export function localHost(useIP: boolean): string {
  if (!useIP) return hostname();
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

/** `host`: the agent's address or host name, resolved once when the interceptor is built. */
export const hostInterceptor: InterceptorFactory<typeof HOST_KEYS> = {
  kind: 'interceptor',
  type: 'host',
  aliases: ['org.apache.flume.interceptor.HostInterceptor$Builder'],
  doc: "Sets the header `hostHeader` to this host's IPv4 address (useIP) or host name, resolved once at start.",
  keys: HOST_KEYS,
  create(config, ctx) {
    const { hostHeader, useIP, preserveExisting } = config;
    const host = localHost(useIP);
    ctx.logger.info({ header: hostHeader, host }, 'host interceptor resolved the host');
    return { intercept: (events) => setHeader(events, hostHeader, host, preserveExisting) };
  },
};
