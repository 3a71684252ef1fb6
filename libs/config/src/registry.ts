/**
 * The registry of component types an agent knows, built from a plain list of factories.
 */
import { SluiceError } from '@sluice/core';
import { CHANNEL_KEY_NAMES } from './channel-keys.js';
import { findFlumeTypeNotImplemented } from './flume-types.js';
import { checkValue, describeFormat, isFormatName, parseValue } from './formats.js';
import type {
  AnyFactory,
  ChannelFactory,
  InterceptorFactory,
  KeySpec,
  ProcessorFactory,
  SelectorFactory,
  SinkFactory,
  SourceFactory,
  SpecKind,
} from './spec.js';
import { suggest } from './suggest.js';

/** The factory interface of each kind. */
export interface FactoryByKind {
  source: SourceFactory;
  channel: ChannelFactory;
  sink: SinkFactory;
  interceptor: InterceptorFactory;
  selector: SelectorFactory;
  processor: ProcessorFactory;
}

export interface Registry {
  /** Every registered factory, in registration order. */
  readonly factories: readonly AnyFactory[];
  /**
   * The factory of `kind` for a type name: Flume's short name in any case (`MEMORY`), or one of
   * its fully qualified class-name aliases, matched exactly. `undefined` when unknown.
   */
  find<K extends SpecKind>(kind: K, type: string): FactoryByKind[K] | undefined;
  /** Like `find`, but throws a SluiceError (SLUICE_ERR_CONFIG) saying which types are known. */
  get<K extends SpecKind>(kind: K, type: string): FactoryByKind[K];
  /** The short type names of `kind`, in registration order. */
  knownTypes(kind: SpecKind): string[];
  /**
   * Why `type` is not a known type of `kind`: a Flume type Sluice does not implement yet (from the
   * table in flume-types.ts), or an unknown one with a suggestion; both list the known types.
   */
  unknownTypeMessage(kind: SpecKind, type: string): string;
}

/** How messages name a kind ("channel selector" for `selector`). */
export const KIND_LABEL: Readonly<Record<SpecKind, string>> = {
  source: 'source',
  channel: 'channel',
  sink: 'sink',
  interceptor: 'interceptor',
  selector: 'channel selector',
  processor: 'sink processor',
};

function checkKeySpec(factory: AnyFactory, key: string, spec: KeySpec): void {
  const where = `${factory.kind} type ${factory.type}, key ${key}`;
  if (!isFormatName(spec.format) && !(Array.isArray(spec.format) && spec.format.length > 0)) {
    throw new SluiceError('SLUICE_ERR_CONFIG', `${where}: unknown format ${JSON.stringify(spec.format)}`);
  }
  const d = spec.default;
  if (d === undefined || d === null) return;
  const problem = typeof d === 'string' ? (parseValue(spec, d).ok ? undefined : describeFormat(spec)) : checkValue(spec, d);
  if (problem !== undefined) {
    throw new SluiceError('SLUICE_ERR_CONFIG', `${where}: default ${JSON.stringify(d)} is not ${problem}`);
  }
}

/**
 * Builds a registry. Throws a SluiceError (SLUICE_ERR_CONFIG) on a programming mistake: two
 * factories of one kind with the same type (case-insensitively) or alias, an unknown key format,
 * or a default that its own format refuses.
 */
export function createRegistry(factories: readonly AnyFactory[]): Registry {
  const byType = new Map<string, AnyFactory>(); // `${kind}:${lower-case type}`
  const byAlias = new Map<string, AnyFactory>(); // `${kind}:${alias}`
  for (const f of factories) {
    const typeKey = `${f.kind}:${f.type.toLowerCase()}`;
    if (byType.has(typeKey)) {
      throw new SluiceError('SLUICE_ERR_CONFIG', `${f.kind} type ${f.type} is registered twice`);
    }
    byType.set(typeKey, f);
    for (const alias of f.aliases) {
      const aliasKey = `${f.kind}:${alias}`;
      const other = byAlias.get(aliasKey);
      if (other !== undefined) {
        throw new SluiceError('SLUICE_ERR_CONFIG', `${f.kind} alias ${alias} is registered for both ${other.type} and ${f.type}`);
      }
      byAlias.set(aliasKey, f);
    }
    for (const [key, spec] of Object.entries(f.keys)) checkKeySpec(f, key, spec);
    const missing = f.kind === 'channel' ? CHANNEL_KEY_NAMES.filter((k) => !Object.hasOwn(f.keys, k)) : [];
    if (missing.length > 0) {
      throw new SluiceError('SLUICE_ERR_CONFIG', `channel type ${f.type} does not declare ${missing.join(', ')}: spread channelKeys() into its keys`);
    }
    if (f.batchSizeKey !== undefined && !Object.hasOwn(f.keys, f.batchSizeKey)) {
      throw new SluiceError('SLUICE_ERR_CONFIG', `${f.kind} type ${f.type}: its batchSizeKey ${f.batchSizeKey} is not one of its keys`);
    }
    for (const [prefix, spec] of Object.entries(f.dynamicKeys ?? {})) checkKeySpec(f, `${prefix}*`, spec);
  }

  const knownTypes = (kind: SpecKind): string[] => factories.filter((f) => f.kind === kind).map((f) => f.type);

  const find = <K extends SpecKind>(kind: K, type: string): FactoryByKind[K] | undefined =>
    (byAlias.get(`${kind}:${type}`) ?? byType.get(`${kind}:${type.toLowerCase()}`)) as FactoryByKind[K] | undefined;

  const unknownTypeMessage = (kind: SpecKind, type: string): string => {
    const known = knownTypes(kind);
    const list = known.length === 0 ? 'none is registered' : `known ${KIND_LABEL[kind]} types: ${known.join(', ')}`;
    if (findFlumeTypeNotImplemented(kind, type) !== undefined) {
      return `${KIND_LABEL[kind]} type "${type}" is a Flume type not implemented by Sluice yet (${list})`;
    }
    const guess = suggest(type, known);
    const hint = guess === undefined ? '' : `; did you mean "${guess}"?`;
    return `unknown ${KIND_LABEL[kind]} type "${type}"${hint} (${list})`;
  };

  return {
    factories,
    find,
    get(kind, type) {
      const f = find(kind, type);
      if (f === undefined) throw new SluiceError('SLUICE_ERR_CONFIG', unknownTypeMessage(kind, type));
      return f;
    },
    knownTypes,
    unknownTypeMessage,
  };
}
