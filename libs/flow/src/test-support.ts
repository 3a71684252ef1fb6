/**
 * Test helpers shared by the flow components' unit tests: a fake component context with a
 * pino logger writing to memory, and the defaulted config the runtime would pass.
 * Not exported from the index.
 */
import pino from 'pino';
import type { ComponentSpec, Config, KeySpecs } from '@sluice/config';
import { Counters, type ComponentContext, type Logger, type SluiceEvent } from '@sluice/core';

export interface LogRecord {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export function fakeContext(name = 'i1'): ComponentContext & { records: LogRecord[] } {
  const records: LogRecord[] = [];
  const logger: Logger = pino({ level: 'debug' }, { write: (line: string) => void records.push(JSON.parse(line) as LogRecord) });
  return { agent: 'a1', name, logger, records, counters: new Counters(), dataDir: '/nonexistent' };
}

/** Every declared key with its default, overridden by `values`; throws on a missing required key or a check() error. */
export function configFor<S extends KeySpecs>(spec: ComponentSpec<S>, values: Record<string, unknown>): Config<S> {
  const out: Record<string, unknown> = {};
  for (const [key, keySpec] of Object.entries(spec.keys)) {
    const value = key in values ? values[key] : keySpec.default;
    if (value === undefined) throw new Error(`test config misses required key ${key}`);
    out[key] = value;
  }
  for (const key of Object.keys(values)) if (!(key in spec.keys)) throw new Error(`test config has unknown key ${key}`);
  const config = out as Config<S>;
  const errors = spec.check?.(config) ?? [];
  if (errors.length > 0) throw new Error(`invalid test config: ${errors.join('; ')}`);
  return config;
}

export function events(...headers: Record<string, string>[]): SluiceEvent[] {
  return headers.map((h, i) => ({ headers: { ...h }, body: Buffer.from(`e${i}`) }));
}
