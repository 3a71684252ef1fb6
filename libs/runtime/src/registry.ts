import { isAbsolute } from 'node:path';
import { createRegistry, type AnyFactory, type Registry } from '@sluice/config';
import { CHANNEL_FACTORIES } from '@sluice/channels';
import { SluiceError } from '@sluice/core';
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

const KINDS = new Set(['source', 'channel', 'sink', 'interceptor', 'selector', 'processor']);

/** Why `f` is not a component factory, or undefined when it is one. */
function notAFactory(f: unknown): string | undefined {
  if (typeof f !== 'object' || f === null) return 'is not an object';
  const o = f as Record<string, unknown>;
  if (typeof o['kind'] !== 'string' || !KINDS.has(o['kind'])) return `has kind ${JSON.stringify(o['kind'])}, not one of ${[...KINDS].join(', ')}`;
  if (typeof o['type'] !== 'string' || o['type'] === '') return 'has no type name';
  if (!Array.isArray(o['aliases'])) return 'has no aliases array';
  if (typeof o['doc'] !== 'string') return 'has no doc';
  if (typeof o['keys'] !== 'object' || o['keys'] === null) return 'has no keys';
  if (typeof o['create'] !== 'function') return 'has no create function';
  if (o['kind'] === 'channel' && o['durability'] !== 'volatile' && o['durability'] !== 'durable') return 'is a channel without durability (volatile or durable)';
  return undefined;
}

/**
 * The factories of a plugin: a CommonJS module (an absolute path) exporting `factories`, an array
 * of component factories written like Sluice's own (see docs/component-spec.md). Throws a
 * SluiceError (SLUICE_ERR_CONFIG) naming the file when it cannot be loaded or exports no factories.
 */
export function loadPlugin(file: string): AnyFactory[] {
  if (!isAbsolute(file)) throw new SluiceError('SLUICE_ERR_CONFIG', `plugin ${file}: the path must be absolute`);
  let mod: { factories?: unknown };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a plugin is a module named at run time
    mod = require(file) as { factories?: unknown };
  } catch (err) {
    throw new SluiceError('SLUICE_ERR_CONFIG', `plugin ${file}: cannot be loaded: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }
  const factories = mod.factories;
  if (!Array.isArray(factories) || factories.length === 0) {
    throw new SluiceError('SLUICE_ERR_CONFIG', `plugin ${file}: it must export \`factories\`, a non-empty array of component factories`);
  }
  factories.forEach((f: unknown, i) => {
    const why = notAFactory(f);
    if (why !== undefined) throw new SluiceError('SLUICE_ERR_CONFIG', `plugin ${file}: factories[${i}] ${why}`);
  });
  return factories as AnyFactory[];
}

const registries = new Map<string, Registry>();

/**
 * The registry of an agent: Sluice's own components, then those of each plugin in order. A plugin
 * type with the name or alias of another is refused (SLUICE_ERR_CONFIG), as is a plugin that
 * cannot be loaded.
 */
export function agentRegistry(plugins: readonly string[] = []): Registry {
  const key = plugins.join('\0');
  let registry = registries.get(key);
  if (registry === undefined) {
    registry = createRegistry([...ALL_FACTORIES, ...plugins.flatMap(loadPlugin)]);
    registries.set(key, registry);
  }
  return registry;
}

/** The registry of Sluice's own components. */
export function defaultRegistry(): Registry {
  return agentRegistry();
}
