import { createRegistry, type AnyFactory, type Registry } from '@sluice/config';
import { CHANNEL_FACTORIES } from '@sluice/channels';
import { INTERCEPTOR_FACTORIES, PROCESSOR_FACTORIES, SELECTOR_FACTORIES } from '@sluice/flow';
import { SINK_FACTORIES } from '@sluice/sinks';
import { SOURCE_FACTORIES } from '@sluice/sources';

/** Every component type Sluice ships, registered explicitly. */
export const ALL_FACTORIES: readonly AnyFactory[] = [
  ...CHANNEL_FACTORIES,
  ...SOURCE_FACTORIES,
  ...SINK_FACTORIES,
  ...INTERCEPTOR_FACTORIES,
  ...SELECTOR_FACTORIES,
  ...PROCESSOR_FACTORIES,
];

let registry: Registry | undefined;

export function defaultRegistry(): Registry {
  return (registry ??= createRegistry(ALL_FACTORIES));
}
