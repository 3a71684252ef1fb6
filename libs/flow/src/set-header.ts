import type { SluiceEvent } from '@sluice/core';

/**
 * Sets `key` to `value` in each event's headers, in place; with `preserveExisting`, an event
 * that already has the header keeps its value. Returns the same array (nothing is dropped).
 */
export function setHeader(events: SluiceEvent[], key: string, value: string, preserveExisting: boolean): SluiceEvent[] {
  const special = key === '__proto__';
  for (const event of events) {
    const headers = event.headers;
    if (preserveExisting && Object.hasOwn(headers, key)) continue;
    if (special) Object.defineProperty(headers, key, { value, enumerable: true, writable: true, configurable: true });
    else headers[key] = value;
  }
  return events;
}
