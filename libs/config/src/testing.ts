/** @sluice/config/testing: helpers for tests only, not part of the library's public face. */
import type { ComponentSpec, Config, KeySpecs } from './spec.js';

/**
 * For component tests: the config the runtime would pass — every declared key with its default,
 * overridden by `values` (already typed; keys of a `dynamicKeys` family allowed). Throws on a
 * missing required key, an unknown key, or an error from the spec's `check()`.
 */
export function configFor<S extends KeySpecs>(spec: ComponentSpec<S>, values: Record<string, unknown>): Config<S> {
  const out: Record<string, unknown> = {};
  for (const [key, keySpec] of Object.entries(spec.keys)) {
    const value = key in values ? values[key] : keySpec.default;
    if (value === undefined) throw new Error(`test config misses required key ${key}`);
    out[key] = value;
  }
  const families = Object.keys(spec.dynamicKeys ?? {});
  for (const [key, value] of Object.entries(values)) {
    if (key in spec.keys) continue;
    if (!families.some((prefix) => key.startsWith(prefix))) throw new Error(`test config has unknown key ${key}`);
    out[key] = value;
  }
  const config = out as Config<S>;
  const errors = spec.check?.(config) ?? [];
  if (errors.length > 0) throw new Error(`invalid test config: ${errors.join('; ')}`);
  return config;
}
export { fakeFactories } from './test-support/fake-factories.js';
