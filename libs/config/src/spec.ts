import type {
  ChannelSelector,
  ChannelStore,
  ComponentContext,
  Interceptor,
  NamedSink,
  Sink,
  SinkProcessor,
  Source,
  SourceContext,
} from '@sluice/core';

/**
 * The strict value formats a component key may use. Unlike convict's built-ins they never guess:
 * "10abc" is not an int, "yes" is not a boolean, and each list uses its key's own Flume separator.
 */
export type FormatName =
  | 'int' // a decimal integer (optional sign), bounded by min/max when given
  | 'bool' // true or false, any case; anything else is an error (Flume silently reads it as false)
  | 'string' // any text
  | 'list-ws' // whitespace-separated list (Flume's component lists)
  | 'list-comma' // comma-separated list, items trimmed (dataDirs, ipFilterRules)
  | 'port' // integer 0..65535
  | 'host'; // hostname or IP literal, non-empty, no spaces

export interface KeySpec {
  /** A format name, or the allowed values (matched case-insensitively, normalised to the listed spelling). */
  readonly format: FormatName | readonly string[];
  /** The value when the key is absent; `undefined` means the key is required. */
  readonly default: unknown;
  readonly doc: string;
  /** How the docs show a default computed at run time (e.g. "80% of the worker heap"). */
  readonly defaultDoc?: string;
  readonly min?: number;
  readonly max?: number;
}

export type KeySpecs = Readonly<Record<string, KeySpec>>;

/** A key's value type; `unknown` for a key of no particular format (the generic `KeySpec`). */
type ValueOf<K extends KeySpec> = [FormatName | readonly string[]] extends [K['format']]
  ? unknown
  : K['format'] extends 'int' | 'port'
  ? number
  : K['format'] extends 'bool'
    ? boolean
    : K['format'] extends 'list-ws' | 'list-comma'
      ? string[]
      : string;

/** The validated, defaulted configuration of a component: one typed value per declared key. */
export type ConfigOf<S extends KeySpecs> = { readonly [k in keyof S]: ValueOf<S[k]> };

export type SpecKind = 'source' | 'channel' | 'sink' | 'interceptor' | 'selector' | 'processor';

/**
 * What the configuration knows of a component type: its keys with Flume's exact spelling (dots
 * included, e.g. `sink.directory`), defaults and docs. Keys are relative to the component
 * (`capacity`, not `a1.channels.c1.capacity`); selector, interceptor and processor keys are
 * relative to their own prefix (`optional`, not `selector.optional`).
 */
export interface ComponentSpec<S extends KeySpecs = KeySpecs> {
  readonly kind: SpecKind;
  /** Flume's short type name, e.g. `memory`; matched case-insensitively. */
  readonly type: string;
  /** Flume's fully qualified class names for this type, matched exactly. */
  readonly aliases: readonly string[];
  readonly doc: string;
  readonly keys: S;
  /**
   * Key families with a free part, by prefix: `priority.` covers `priority.k1`. Each present key is
   * validated with the given spec and appears in the config under its full name.
   */
  readonly dynamicKeys?: Readonly<Record<string, KeySpec>>;
  /** Cross-key checks on the validated config; each returned message is an error. */
  check?(config: ConfigOf<S> & Readonly<Record<string, unknown>>): string[];
  /**
   * Checks of the machine the configuration is checked on (a directory that cannot be created),
   * run after `check` passes, by `sluice check` and before the agent starts. They must change
   * nothing on the machine. Each problem is an error reported at the line of its `key`.
   */
  checkHost?(config: ConfigOf<S> & Readonly<Record<string, unknown>>): readonly HostProblem[];
  /**
   * The key holding the component's batch size (`batchSize`, `batch-size`, `hdfs.batchSize`...):
   * its value must not exceed the transactionCapacity of the channels the component puts to or
   * takes from, which `sluice check` verifies.
   */
  readonly batchSizeKey?: keyof S & string;
  /**
   * What the component holds exclusively on its machine (a listening port, a directory), from its
   * validated config. Two components of an agent claiming the same resource is a configuration
   * error, whatever their kinds and key names.
   */
  resources?(config: ConfigOf<S> & Readonly<Record<string, unknown>>): readonly Resource[];
}

/**
 * A resource a component claims. A `tcp-port`/`udp-port` on a wildcard host (`0.0.0.0`, `::`)
 * clashes with every host on that port; port 0 (any free port) never clashes. Directories (and
 * files) clash when their absolute paths are equal.
 */
export type Resource =
  | { readonly kind: 'tcp-port' | 'udp-port'; readonly host: string; readonly port: number; readonly key: string }
  | { readonly kind: 'directory' | 'file'; readonly path: string; readonly key: string };

/** A problem `checkHost` found, about one key of the component. */
export interface HostProblem {
  readonly key: string;
  readonly message: string;
}

export type Config<S extends KeySpecs> = ConfigOf<S> & Readonly<Record<string, unknown>>;

export interface SourceFactory<S extends KeySpecs = KeySpecs> extends ComponentSpec<S> {
  readonly kind: 'source';
  create(config: Config<S>, ctx: SourceContext): Source;
}

/**
 * What a channel's events survive. `volatile`: they live in the channel worker's memory and are lost
 * when it dies (the supervisor logs how many, and restarts the channel's sources and sink groups
 * with it); `durable`: a restarted worker serves every committed event again.
 */
export type ChannelDurability = 'volatile' | 'durable';

export interface ChannelFactory<S extends KeySpecs = KeySpecs> extends ComponentSpec<S> {
  readonly kind: 'channel';
  readonly durability: ChannelDurability;
  create(config: Config<S>, ctx: ComponentContext): ChannelStore;
}

export interface SinkFactory<S extends KeySpecs = KeySpecs> extends ComponentSpec<S> {
  readonly kind: 'sink';
  create(config: Config<S>, ctx: ComponentContext): Sink;
}

export interface InterceptorFactory<S extends KeySpecs = KeySpecs> extends ComponentSpec<S> {
  readonly kind: 'interceptor';
  create(config: Config<S>, ctx: ComponentContext): Interceptor;
}

export interface SelectorFactory<S extends KeySpecs = KeySpecs> extends ComponentSpec<S> {
  readonly kind: 'selector';
  /**
   * Checks that need the source's bound channels (in configuration order), so `sluice check`
   * reports them: each problem is an error at the line of its key.
   */
  checkChannels?(config: Config<S>, channels: readonly string[]): readonly HostProblem[];
  /** `channels` are the source's bound channels, in configuration order. */
  create(config: Config<S>, channels: readonly string[]): ChannelSelector;
}

export interface ProcessorFactory<S extends KeySpecs = KeySpecs> extends ComponentSpec<S> {
  readonly kind: 'processor';
  /** Checks that need the group's sinks (in list order), so `sluice check` reports them; each message is an error. */
  checkGroup?(config: Config<S>, sinks: readonly string[]): string[];
  create(config: Config<S>, sinks: readonly NamedSink[], ctx: ComponentContext): SinkProcessor;
}

export type AnyFactory =
  | SourceFactory
  | ChannelFactory
  | SinkFactory
  | InterceptorFactory
  | SelectorFactory
  | ProcessorFactory;

interface FactoryByKind<S extends KeySpecs> {
  source: SourceFactory<S>;
  channel: ChannelFactory<S>;
  sink: SinkFactory<S>;
  interceptor: InterceptorFactory<S>;
  selector: SelectorFactory<S>;
  processor: ProcessorFactory<S>;
}

/**
 * Declares a factory with its config type inferred from the literal `keys` object, so `create`
 * and `check` see typed values (`config.capacity` is a number).
 */
export function defineFactory<const S extends KeySpecs, K extends SpecKind>(
  factory: { readonly kind: K; readonly keys: S } & FactoryByKind<S>[K],
): FactoryByKind<S>[K] {
  return factory;
}
