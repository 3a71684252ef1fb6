/**
 * Builds an agent's topology from its properties: component lists, types, bindings and
 * references, each component validated against its spec. Every problem is collected; the
 * topology is only returned when there is no error.
 */
import { type AgentProperties, collectAgentProperties, type ComponentProperties, type Section } from './agent-properties.js';
import { checkBatchSizes, checkResourceClashes, type KeyLines, type Resolved } from './cross-checks.js';
import type { Diagnostic, Report } from './diagnostic.js';
import type { PropertyEntry } from './properties.js';
import { type FactoryByKind, KIND_LABEL, type Registry } from './registry.js';
import type { ChannelDurability, SpecKind } from './spec.js';
import { applyConfigFilters, type Environment, substituteEnvVars } from './substitution.js';
import { type RawProperty, reportUnknownKey, validateComponent } from './validate-component.js';

/** A component with its resolved type and validated configuration. */
export interface ResolvedComponent {
  readonly name: string;
  /** The canonical short type (`memory`), whatever spelling or alias the file used. */
  readonly type: string;
  /** Validated and defaulted, keyed with Flume's spelling (`keep-alive`, `sink.directory`). */
  readonly config: Readonly<Record<string, unknown>>;
  /** Line of its type key (of its owner's type key when the type was defaulted). */
  readonly line: number;
}

export interface SourceDef extends ResolvedComponent {
  /** Bound channels, in the order of the `channels` key. */
  readonly channels: readonly string[];
  /** Named after the source. */
  readonly selector: ResolvedComponent;
  /** In chain order. */
  readonly interceptors: readonly ResolvedComponent[];
}

export interface ChannelDef extends ResolvedComponent {
  /** The channel type's: whether its events survive the death of its worker. */
  readonly durability: ChannelDurability;
}

export interface SinkDef extends ResolvedComponent {
  readonly channel: string;
}

export interface SinkGroupDef {
  readonly name: string;
  /** In the order of the group's `sinks` key. */
  readonly sinks: readonly string[];
  /** Named after the group. */
  readonly processor: ResolvedComponent;
  /** True for the group of one made for an ungrouped sink (named after the sink). */
  readonly implicit: boolean;
  /** Line of the group's `sinks` key, or of the sink's type key for an implicit group. */
  readonly line: number;
}

/**
 * A valid agent. Lists keep file order (Flume uses hash order). Every sink is in exactly one
 * group: the explicit groups in list order, then one implicit group per ungrouped sink.
 */
export interface Topology {
  readonly agent: string;
  readonly file: string;
  readonly sources: readonly SourceDef[];
  readonly channels: readonly ChannelDef[];
  readonly sinks: readonly SinkDef[];
  readonly groups: readonly SinkGroupDef[];
}

export interface TopologyResult {
  /** Present only when there is no error. */
  readonly topology?: Topology;
  /** Errors and warnings, in the order they were found. */
  readonly diagnostics: readonly Diagnostic[];
}

export interface BuildTopologyOptions {
  readonly entries: readonly PropertyEntry[];
  /** The file name used in diagnostics and kept in the topology. */
  readonly file: string;
  readonly agent: string;
  readonly registry: Registry;
  /** Unknown keys are errors instead of warnings. */
  readonly strict?: boolean;
  /**
   * Substitute `${NAME}` from the environment in every value of the agent (Flume's
   * `-DpropertiesImplementation=org.apache.flume.node.EnvVarResolverProperties`).
   */
  readonly envVars?: boolean;
  /** The environment for `${NAME}` and `env` config filters; default `process.env`. */
  readonly env?: Environment;
}

interface Context {
  readonly agent: string;
  readonly registry: Registry;
  readonly strict: boolean;
  readonly report: Report;
  readonly props: AgentProperties;
}

const SECTION_NOUN: Readonly<Record<Section, string>> = { sources: 'source', channels: 'channel', sinks: 'sink', sinkgroups: 'sink group' };

function names(value: string): string[] {
  return value.split(/\s+/).filter((n) => n !== '');
}

/** The properties under `prefix`, with the prefix removed. */
function under(props: readonly RawProperty[], prefix: string): RawProperty[] {
  return props.filter((p) => p.key.startsWith(prefix)).map((p) => ({ ...p, key: p.key.slice(prefix.length) }));
}

function keyLines(props: readonly RawProperty[]): KeyLines {
  return new Map(props.map((p) => [p.key, p.line]));
}

/** Resolves a type key (or a default type) to its factory; reports and returns undefined if it cannot. */
function resolveFactory<K extends SpecKind>(
  ctx: Context,
  kind: K,
  prefix: string,
  typeProp: RawProperty | undefined,
  fallbackLine: number,
  defaultType?: string,
): { factory: FactoryByKind[K]; line: number } | undefined {
  if (typeProp === undefined) {
    if (defaultType === undefined) {
      ctx.report('error', fallbackLine, `${prefix}type: missing (every ${KIND_LABEL[kind]} needs a type)`);
      return undefined;
    }
    const factory = ctx.registry.find(kind, defaultType);
    if (factory === undefined) {
      ctx.report('error', fallbackLine, `${prefix}type: the default ${KIND_LABEL[kind]} type "${defaultType}" is not registered`);
      return undefined;
    }
    return { factory, line: fallbackLine };
  }
  const factory = ctx.registry.find(kind, typeProp.value);
  if (factory === undefined) {
    ctx.report('error', typeProp.line, `${prefix}type: ${ctx.registry.unknownTypeMessage(kind, typeProp.value)}`);
    return undefined;
  }
  return { factory, line: typeProp.line };
}

/** The listed components of a section with their properties; reports a listed name without any. */
function listed(ctx: Context, section: Section): { name: string; cp: ComponentProperties }[] {
  const list = ctx.props.lists[section];
  if (list === undefined) return [];
  const out: { name: string; cp: ComponentProperties }[] = [];
  for (const name of list.names) {
    const cp = ctx.props.components[section].get(name);
    if (cp === undefined) {
      ctx.report('error', list.line, `${list.key}: ${SECTION_NOUN[section]} ${name} is listed but has no properties (it needs at least a type)`);
    } else {
      out.push({ name, cp });
    }
  }
  return out;
}

/** Reports a reference to a component that is not listed in `section`. */
function checkReference(ctx: Context, section: Section, name: string, fullKey: string, line: number): boolean {
  const list = ctx.props.lists[section];
  if (list?.names.includes(name)) return true;
  const noun = SECTION_NOUN[section];
  const listKey = `${ctx.agent}.${section}`;
  const hint = ctx.props.components[section].has(name)
    ? ` (it has properties but is not listed in ${listKey})`
    : list === undefined
      ? ` (${listKey} is missing)`
      : ` (${listKey} = ${list.names.join(' ')})`;
  ctx.report('error', line, `${fullKey}: ${noun} "${name}" is not defined${hint}`);
  return false;
}

function resolveChannels(ctx: Context): Resolved<ChannelDef>[] {
  const out: Resolved<ChannelDef>[] = [];
  for (const { name, cp } of listed(ctx, 'channels')) {
    const prefix = `${ctx.agent}.channels.${name}.`;
    const t = resolveFactory(ctx, 'channel', prefix, cp.props.find((p) => p.key === 'type'), cp.line);
    if (t === undefined) continue;
    const props = cp.props.filter((p) => p.key !== 'type');
    const config = validateComponent({ prefix, spec: t.factory, props, line: t.line, structuralKeys: ['type'], strict: ctx.strict }, ctx.report);
    if (config === undefined) continue;
    out.push({ def: { name, type: t.factory.type, durability: t.factory.durability, config, line: t.line }, spec: t.factory, prefix, keyLines: keyLines(props) });
  }
  return out;
}

function resolveSelector(ctx: Context, prefix: string, props: readonly RawProperty[], ownerLine: number, channels: readonly string[]) {
  const own = under(props, 'selector.');
  const selectorPrefix = `${prefix}selector.`;
  const t = resolveFactory(ctx, 'selector', selectorPrefix, own.find((p) => p.key === 'type'), ownerLine, 'replicating');
  if (t === undefined) return undefined;
  const rest = own.filter((p) => p.key !== 'type');
  const config = validateComponent({ prefix: selectorPrefix, spec: t.factory, props: rest, line: t.line, structuralKeys: ['type'], strict: ctx.strict }, ctx.report);
  if (config === undefined) return undefined;
  const problems = t.factory.checkChannels?.(config, channels) ?? [];
  for (const { key, message } of problems) ctx.report('error', rest.find((p) => p.key === key)?.line ?? t.line, `${selectorPrefix}${key}: ${message}`);
  if (problems.length > 0) return undefined;
  return { type: t.factory.type, config, line: t.line };
}

function resolveInterceptors(ctx: Context, prefix: string, props: readonly RawProperty[]): ResolvedComponent[] | undefined {
  const listProp = props.find((p) => p.key === 'interceptors');
  const own = under(props, 'interceptors.');
  const byName = new Map<string, RawProperty[]>();
  for (const p of own) {
    const dot = p.key.indexOf('.');
    if (dot <= 0) {
      reportUnknownKey(ctx.report, ctx.strict, `${prefix}interceptors.${p.key}`, p.line, 'a source', ['interceptors'], `interceptors.${p.key}`);
      continue;
    }
    const name = p.key.slice(0, dot);
    if (!byName.has(name)) byName.set(name, []);
    byName.get(name)!.push({ ...p, key: p.key.slice(dot + 1) });
  }
  const list: string[] = [];
  for (const name of listProp === undefined ? [] : names(listProp.value)) {
    if (list.includes(name)) ctx.report('warning', listProp!.line, `${prefix}interceptors: "${name}" is listed twice`);
    else list.push(name);
  }
  for (const [name, iprops] of byName) {
    if (!list.includes(name)) {
      ctx.report('warning', iprops[0]!.line, `${prefix}interceptors.${name}: interceptor ${name} is defined but not listed in ${prefix}interceptors; it is ignored`);
    }
  }
  let ok = true;
  const out: ResolvedComponent[] = [];
  for (const name of list) {
    const iprefix = `${prefix}interceptors.${name}.`;
    const iprops = byName.get(name) ?? [];
    const t = resolveFactory(ctx, 'interceptor', iprefix, iprops.find((p) => p.key === 'type'), iprops[0]?.line ?? listProp!.line);
    if (t === undefined) {
      ok = false;
      continue;
    }
    const rest = iprops.filter((p) => p.key !== 'type');
    const config = validateComponent({ prefix: iprefix, spec: t.factory, props: rest, line: t.line, structuralKeys: ['type'], strict: ctx.strict }, ctx.report);
    if (config === undefined) ok = false;
    else out.push({ name, type: t.factory.type, config, line: t.line });
  }
  return ok ? out : undefined;
}

const SOURCE_KEYS = ['type', 'channels', 'selector.type', 'interceptors'];

function resolveSources(ctx: Context): Resolved<SourceDef>[] {
  const out: Resolved<SourceDef>[] = [];
  for (const { name, cp } of listed(ctx, 'sources')) {
    const prefix = `${ctx.agent}.sources.${name}.`;
    const t = resolveFactory(ctx, 'source', prefix, cp.props.find((p) => p.key === 'type'), cp.line);
    const ownerLine = t?.line ?? cp.line;

    const channelsProp = cp.props.find((p) => p.key === 'channels');
    const channels: string[] = [];
    let channelsOk = true;
    if (channelsProp === undefined) {
      ctx.report('error', ownerLine, `${prefix}channels: missing (a source feeds at least one channel)`);
      channelsOk = false;
    } else {
      for (const ch of names(channelsProp.value)) {
        if (channels.includes(ch)) ctx.report('warning', channelsProp.line, `${prefix}channels: "${ch}" is listed twice`);
        else if (checkReference(ctx, 'channels', ch, `${prefix}channels`, channelsProp.line)) channels.push(ch);
        else channelsOk = false;
      }
    }
    const selector = resolveSelector(ctx, prefix, cp.props, ownerLine, channels);
    const interceptors = resolveInterceptors(ctx, prefix, cp.props);
    if (t === undefined) continue;

    const props = cp.props.filter((p) => !SOURCE_KEYS.includes(p.key) && !p.key.startsWith('selector.') && !p.key.startsWith('interceptors.'));
    const config = validateComponent({ prefix, spec: t.factory, props, line: t.line, structuralKeys: SOURCE_KEYS, strict: ctx.strict }, ctx.report);
    if (config === undefined || selector === undefined || interceptors === undefined || !channelsOk) continue;
    out.push({
      def: { name, type: t.factory.type, config, line: t.line, channels, selector: { name, ...selector }, interceptors },
      spec: t.factory,
      prefix,
      keyLines: keyLines(props),
    });
  }
  return out;
}

const SINK_KEYS = ['type', 'channel'];

function resolveSinks(ctx: Context): Resolved<SinkDef>[] {
  const out: Resolved<SinkDef>[] = [];
  for (const { name, cp } of listed(ctx, 'sinks')) {
    const prefix = `${ctx.agent}.sinks.${name}.`;
    const t = resolveFactory(ctx, 'sink', prefix, cp.props.find((p) => p.key === 'type'), cp.line);
    const channelProp = cp.props.find((p) => p.key === 'channel');
    let channel: string | undefined;
    if (channelProp === undefined) {
      ctx.report('error', t?.line ?? cp.line, `${prefix}channel: missing (a sink drains one channel)`);
    } else {
      const chs = names(channelProp.value);
      if (chs.length !== 1) ctx.report('error', channelProp.line, `${prefix}channel: a sink drains exactly one channel, got "${channelProp.value}"`);
      else if (checkReference(ctx, 'channels', chs[0]!, `${prefix}channel`, channelProp.line)) channel = chs[0];
    }
    if (t === undefined) continue;
    const props = cp.props.filter((p) => !SINK_KEYS.includes(p.key));
    const config = validateComponent({ prefix, spec: t.factory, props, line: t.line, structuralKeys: SINK_KEYS, strict: ctx.strict }, ctx.report);
    if (config === undefined || channel === undefined) continue;
    out.push({ def: { name, type: t.factory.type, config, line: t.line, channel }, spec: t.factory, prefix, keyLines: keyLines(props) });
  }
  return out;
}

function resolveGroups(ctx: Context): { groups: SinkGroupDef[]; grouped: Set<string> } {
  const groups: SinkGroupDef[] = [];
  const owner = new Map<string, { group: string; line: number }>();
  for (const { name, cp } of listed(ctx, 'sinkgroups')) {
    const prefix = `${ctx.agent}.sinkgroups.${name}.`;
    const sinksProp = cp.props.find((p) => p.key === 'sinks');
    const sinks: string[] = [];
    let ok = true;
    if (sinksProp === undefined) {
      ctx.report('error', cp.line, `${prefix}sinks: missing (a sink group needs at least one sink)`);
      ok = false;
    } else {
      for (const sink of names(sinksProp.value)) {
        const claimed = owner.get(sink);
        if (sinks.includes(sink)) ctx.report('warning', sinksProp.line, `${prefix}sinks: "${sink}" is listed twice`);
        else if (!checkReference(ctx, 'sinks', sink, `${prefix}sinks`, sinksProp.line)) ok = false;
        else if (claimed !== undefined) {
          ctx.report('error', sinksProp.line, `${prefix}sinks: sink ${sink} is already in sink group ${claimed.group} (line ${claimed.line}); a sink belongs to one group`);
          ok = false;
        } else {
          owner.set(sink, { group: name, line: sinksProp.line });
          sinks.push(sink);
        }
      }
    }
    const groupLine = sinksProp?.line ?? cp.line;
    const own = under(cp.props, 'processor.');
    const processorPrefix = `${prefix}processor.`;
    const t = resolveFactory(ctx, 'processor', processorPrefix, own.find((p) => p.key === 'type'), groupLine, 'default');
    for (const p of cp.props) {
      if (p.key === 'sinks' || p.key.startsWith('processor.')) continue;
      const candidates = ['sinks', 'processor.type', ...Object.keys(t?.factory.keys ?? {}).map((k) => `processor.${k}`)];
      reportUnknownKey(ctx.report, ctx.strict, prefix + p.key, p.line, 'a sink group', candidates, p.key);
    }
    if (t === undefined) continue;
    const rest = own.filter((p) => p.key !== 'type');
    const config = validateComponent({ prefix: processorPrefix, spec: t.factory, props: rest, line: t.line, structuralKeys: ['type'], strict: ctx.strict }, ctx.report);
    if (config === undefined || !ok) continue;
    const groupProblems = t.factory.checkGroup?.(config as never, sinks) ?? [];
    for (const problem of groupProblems) ctx.report('error', t.line, `${processorPrefix}type: ${problem}`);
    if (groupProblems.length > 0) continue;
    groups.push({ name, sinks, processor: { name, type: t.factory.type, config, line: t.line }, implicit: false, line: groupLine });
  }
  return { groups, grouped: new Set(owner.keys()) };
}

function warnUnlisted(ctx: Context): void {
  for (const section of ['sources', 'channels', 'sinks', 'sinkgroups'] as const) {
    const list = ctx.props.lists[section];
    for (const [name, cp] of ctx.props.components[section]) {
      if (list?.names.includes(name)) continue;
      const noun = SECTION_NOUN[section];
      ctx.report('warning', cp.line, `${ctx.agent}.${section}.${name}: ${noun} ${name} is defined but not listed in ${ctx.agent}.${section}; it is ignored`);
    }
  }
}

/** A listed channel that no listed source feeds and no listed sink drains does nothing (Flume removes it). */
function warnUnusedChannels(ctx: Context): void {
  const used = new Set<string>();
  for (const section of ['sources', 'sinks'] as const) {
    const key = section === 'sources' ? 'channels' : 'channel';
    for (const name of ctx.props.lists[section]?.names ?? []) {
      const value = ctx.props.components[section].get(name)?.props.find((p) => p.key === key)?.value ?? '';
      for (const ch of names(value)) used.add(ch);
    }
  }
  for (const name of ctx.props.lists.channels?.names ?? []) {
    const cp = ctx.props.components.channels.get(name);
    if (cp === undefined || used.has(name)) continue;
    const line = cp.props.find((p) => p.key === 'type')?.line ?? cp.line;
    ctx.report('warning', line, `${ctx.agent}.channels.${name}: channel ${name} is not used by any source or sink`);
  }
}

function implicitGroup(ctx: Context, sink: SinkDef): SinkGroupDef | undefined {
  const factory = ctx.registry.find('processor', 'default');
  if (factory === undefined) {
    ctx.report('error', sink.line, `${ctx.agent}.sinks.${sink.name}: the default sink processor is not registered`);
    return undefined;
  }
  const config = validateComponent({ prefix: `${ctx.agent}.sinks.${sink.name}.`, spec: factory, props: [], line: sink.line, strict: ctx.strict }, ctx.report);
  if (config === undefined) return undefined;
  return { name: sink.name, sinks: [sink.name], processor: { name: sink.name, type: factory.type, config, line: sink.line }, implicit: true, line: sink.line };
}

/** Builds and validates the topology of `agent` from parsed properties. */
export function buildTopology(options: BuildTopologyOptions): TopologyResult {
  const { agent, file, registry } = options;
  const strict = options.strict ?? false;
  const diagnostics: Diagnostic[] = [];
  const report: Report = (severity, line, message) => diagnostics.push({ severity, file, line, message });

  const env = options.env ?? process.env;
  const entries = options.envVars ? substituteEnvVars(options.entries, agent, env, report) : options.entries;
  const props = collectAgentProperties(entries, agent, report, strict);
  if (props.line === undefined) {
    const found = props.agentsFound.length > 0 ? `agents found: ${props.agentsFound.join(', ')}` : 'it has no agent properties';
    report('error', 0, `no configuration for agent "${agent}" in this file (${found}); check -n/--name`);
    return { diagnostics };
  }
  applyConfigFilters(props, env, options.envVars ?? false, report, strict);
  const ctx: Context = { agent, registry, strict, report, props };

  if (props.lists.channels === undefined) report('error', props.line, `agent ${agent} has no channels (${agent}.channels is missing)`);
  if (props.lists.sources === undefined && props.lists.sinks === undefined) {
    report('error', props.line, `agent ${agent} has no sources and no sinks (${agent}.sources and ${agent}.sinks are missing)`);
  }
  const channels = resolveChannels(ctx);
  const sources = resolveSources(ctx);
  const sinks = resolveSinks(ctx);
  const { groups, grouped } = resolveGroups(ctx);
  warnUnlisted(ctx);
  warnUnusedChannels(ctx);
  checkBatchSizes(sources, sinks, channels, report);
  checkResourceClashes([...sources, ...channels, ...sinks], report);

  // A sink group's worker takes every batch from one channel, whichever sink then delivers it.
  for (const g of groups) {
    const drained = [...new Set(g.sinks.map((n) => sinks.find((s) => s.def.name === n)?.def.channel).filter((c) => c !== undefined))];
    if (drained.length > 1) {
      report('error', g.line, `${agent}.sinkgroups.${g.name}: its sinks drain different channels (${drained.join(', ')}); Sluice needs every sink of a group bound to the same channel`);
    }
  }
  for (const sink of sinks) {
    if (grouped.has(sink.def.name)) continue;
    const namesake = groups.find((g) => g.name === sink.def.name);
    if (namesake !== undefined) {
      report('error', namesake.line, `${agent}.sinkgroups.${namesake.name}: this group has the name of sink ${sink.def.name}, which is in no group and gets an implicit group of that name; rename the group or put the sink in a group`);
      continue;
    }
    const group = implicitGroup(ctx, sink.def);
    if (group !== undefined) groups.push(group);
  }
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics };
  return {
    topology: {
      agent,
      file,
      sources: sources.map((s) => s.def),
      channels: channels.map((c) => c.def),
      sinks: sinks.map((s) => s.def),
      groups,
    },
    diagnostics,
  };
}
