/**
 * Sorts one agent's properties into its component lists and per-component property sets, keeping
 * file order and line numbers. Nothing is resolved or validated here beyond the key structure.
 */
import type { Report } from './diagnostic.js';
import type { PropertyEntry } from './properties.js';
import { suggest } from './suggest.js';
import type { RawProperty } from './validate-component.js';

/** The four component sections of an agent, named as in Flume's keys. */
export const SECTIONS = ['sources', 'channels', 'sinks', 'sinkgroups'] as const;
export type Section = (typeof SECTIONS)[number];

/** An `<agent>.<section> = names` list. */
export interface NameList {
  /** Names in list order, each once. */
  readonly names: readonly string[];
  readonly line: number;
  readonly key: string;
}

/** The properties under `<agent>.<section>.<name>.`, keys relative to the component. */
export interface ComponentProperties {
  readonly name: string;
  readonly props: RawProperty[];
  /** Line of the component's first property. */
  readonly line: number;
}

export interface AgentProperties {
  readonly agent: string;
  /** Line of the agent's first property; undefined when the file has no property for the agent. */
  readonly line: number | undefined;
  readonly lists: Partial<Record<Section, NameList>>;
  readonly components: Record<Section, Map<string, ComponentProperties>>;
  /** Every agent name found in the file (text before the first `.`), in order of appearance. */
  readonly agentsFound: readonly string[];
  /** `<agent>.configfilters` and the properties under `<agent>.configfilters.<name>.`. */
  readonly configFilters: { readonly list?: NameList; readonly components: Map<string, ComponentProperties> };
}

const ROOT_KEYS = [...SECTIONS, 'configfilters'];

/**
 * Splits entries by key: `<agent>.<section>` lists and `<agent>.<section>.<name>.<key>`
 * properties. Other agents' properties are ignored silently; the agent's unrecognised properties
 * are reported as unknown keys (errors under `strict`).
 */
export function collectAgentProperties(entries: readonly PropertyEntry[], agent: string, report: Report, strict: boolean): AgentProperties {
  const agentsFound: string[] = [];
  const lists: Partial<Record<Section, NameList>> = {};
  const components = { sources: new Map(), channels: new Map(), sinks: new Map(), sinkgroups: new Map() } as Record<
    Section,
    Map<string, ComponentProperties>
  >;
  let firstLine: number | undefined;
  let filterList: NameList | undefined;
  const filterComponents = new Map<string, ComponentProperties>();

  for (const { key, value, line } of entries) {
    const dot = key.indexOf('.');
    if (dot <= 0) {
      report('warning', line, `${key}: not an agent property (the agent name comes before the first ".")`);
      continue;
    }
    const owner = key.slice(0, dot);
    if (!agentsFound.includes(owner)) agentsFound.push(owner);
    if (owner !== agent) continue;
    firstLine ??= line;

    const rest = key.slice(dot + 1);
    const section = SECTIONS.find((s) => rest === s || rest.startsWith(`${s}.`));
    if ((section !== undefined && rest === section) || rest === 'configfilters') {
      const names: string[] = [];
      for (const name of value.split(/\s+/).filter((n) => n !== '')) {
        if (names.includes(name)) report('warning', line, `${key}: "${name}" is listed twice`);
        else names.push(name);
      }
      if (section !== undefined) lists[section] = { names, line, key };
      else filterList = { names, line, key };
      continue;
    }
    const filter = /^configfilters\.([^.]+)\.(.+)$/.exec(rest);
    if (filter !== null) {
      const [, name, filterKey] = filter as unknown as [string, string, string];
      let component = filterComponents.get(name);
      if (component === undefined) {
        component = { name, props: [], line };
        filterComponents.set(name, component);
      }
      component.props.push({ key: filterKey, value, line });
      continue;
    }
    const m = section === undefined ? null : /^([^.]+)\.(.+)$/.exec(rest.slice(section.length + 1));
    if (section === undefined || m === null) {
      const guess = section === undefined ? suggest(rest.split('.')[0]!, ROOT_KEYS) : undefined;
      const hint = guess === undefined ? '' : `; did you mean "${agent}.${guess}${rest.slice(rest.split('.')[0]!.length)}"?`;
      const expected = section === undefined ? '' : ` (expected ${agent}.${section}.<name>.<key>)`;
      report(strict ? 'error' : 'warning', line, `${key}: unknown property for agent ${agent}${hint}${expected}`);
      continue;
    }
    const [, name, componentKey] = m as unknown as [string, string, string];
    let component = components[section].get(name);
    if (component === undefined) {
      component = { name, props: [], line };
      components[section].set(name, component);
    }
    component.props.push({ key: componentKey, value, line });
  }
  return { agent, line: firstLine, lists, components, agentsFound, configFilters: { list: filterList, components: filterComponents } };
}
