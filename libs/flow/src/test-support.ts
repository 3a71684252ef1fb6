/**
 * Test support shared by the flow components' unit tests: a fake component context and the
 * defaulted config the runtime would pass. Not exported from the index.
 */
import type { SluiceEvent } from '@sluice/core';
import { fakeContext as kitContext, type FakeContext } from '@sluice/testkit';

export { configFor } from '@sluice/config/testing';
export type { LogRecord } from '@sluice/testkit';

export function fakeContext(name = 'i1'): FakeContext {
  return kitContext(name);
}

export function events(...headers: Record<string, string>[]): SluiceEvent[] {
  return headers.map((h, i) => ({ headers: { ...h }, body: Buffer.from(`e${i}`) }));
}
