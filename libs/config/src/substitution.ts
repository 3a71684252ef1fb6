/**
 * Flume's two ways of taking values from the environment:
 * - `${NAME}` in any value of the agent, when the agent is started with
 *   `-DpropertiesImplementation=org.apache.flume.node.EnvVarResolverProperties`;
 * - config filters: `<agent>.configfilters = f1`, `<agent>.configfilters.f1.type = env`, and
 *   `${f1['NAME']}` (or `${f1["NAME"]}`, `${f1[NAME]}`) in component values.
 * Unlike Flume, a variable that is not set is an error naming the key and its line (Flume puts ""
 * for the first and keeps the reference as written for the second). Without the flag, `${NAME}`
 * stays as written, as in Flume, with a warning saying how to turn substitution on.
 */
import type { AgentProperties, Section } from './agent-properties.js';
import type { Report } from './diagnostic.js';
import type { PropertyEntry } from './properties.js';
import { reportUnknownKey } from './validate-component.js';

/** The `-DpropertiesImplementation` value that turns on `${NAME}` substitution. */
export const ENV_VAR_RESOLVER = 'org.apache.flume.node.EnvVarResolverProperties';

/** The environment variables substitutions read. */
export type Environment = Readonly<Record<string, string | undefined>>;

const ENV_REFERENCE = /\$\{(\w+)\}/g;

/** Flume's config filter types: only `env` is supported; the others are recognised to say so. */
const FILTER_TYPES: readonly { type: string; className: string; supported: boolean }[] = [
  { type: 'env', className: 'org.apache.flume.configfilter.EnvironmentVariableConfigFilter', supported: true },
  { type: 'hadoop', className: 'org.apache.flume.configfilter.HadoopCredentialStoreConfigFilter', supported: false },
  { type: 'external', className: 'org.apache.flume.configfilter.ExternalProcessConfigFilter', supported: false },
];

/**
 * Replaces `${NAME}` by the environment variable NAME in every value of `agent`'s properties
 * (other agents' properties are left alone). A variable that is not set is an error at the line
 * of the property, and the value is kept as written.
 */
export function substituteEnvVars(entries: readonly PropertyEntry[], agent: string, env: Environment, report: Report): PropertyEntry[] {
  return entries.map((entry) => {
    if (!entry.key.startsWith(`${agent}.`) || !entry.value.includes('${')) return entry;
    let missing = false;
    const value = entry.value.replace(ENV_REFERENCE, (whole, name: string) => {
      const v = env[name];
      if (v !== undefined) return v;
      report('error', entry.line, `${entry.key}: environment variable ${name} is not set (the value refers to \${${name}})`);
      missing = true;
      return whole;
    });
    return missing ? entry : { ...entry, value };
  });
}

function filterReference(name: string): RegExp {
  const quoted = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`\\$\\{${quoted}\\[(|'|")([-_a-zA-Z0-9]+)\\1\\]\\}`, 'g');
}

const COMPONENT_SECTIONS: readonly Section[] = ['sources', 'channels', 'sinks', 'sinkgroups'];

/**
 * Resolves the agent's config filters and substitutes their references in the values of its
 * components (the filters' own keys never reach a component). Problems go to `report`: a filter
 * without a type, a type Sluice does not support (`hadoop`, `external`), an unset variable.
 * Then, unless `envVars` already substituted them, a `${NAME}` left in a component value is
 * a warning: it stays as written.
 */
export function applyConfigFilters(props: AgentProperties, env: Environment, envVars: boolean, report: Report, strict: boolean): void {
  const { agent } = props;
  const { list, components } = props.configFilters;
  for (const [name, cp] of components) {
    if (!list?.names.includes(name)) {
      report('warning', cp.line, `${agent}.configfilters.${name}: config filter ${name} is defined but not listed in ${agent}.configfilters; it is ignored`);
    }
  }
  const filters: string[] = [];
  for (const name of list?.names ?? []) {
    const prefix = `${agent}.configfilters.${name}.`;
    const cp = components.get(name);
    const typeProp = cp?.props.find((p) => p.key === 'type');
    if (cp === undefined || typeProp === undefined) {
      report('error', typeProp?.line ?? cp?.line ?? list!.line, `${prefix}type: missing (every config filter needs a type; supported: env)`);
      continue;
    }
    const known = FILTER_TYPES.find((f) => f.className === typeProp.value || f.type === typeProp.value.toLowerCase());
    if (known === undefined || !known.supported) {
      const what = known === undefined ? `unknown config filter type "${typeProp.value}"` : `config filter type ${typeProp.value} is not supported by Sluice`;
      report('error', typeProp.line, `${prefix}type: ${what}; supported: env (${FILTER_TYPES[0]!.className})`);
      continue;
    }
    for (const p of cp.props) {
      if (p.key !== 'type') reportUnknownKey(report, strict, prefix + p.key, p.line, 'the env config filter (it has no keys)', ['type'], p.key);
    }
    filters.push(name);
  }

  for (const section of COMPONENT_SECTIONS) {
    for (const [componentName, cp] of props.components[section]) {
      cp.props.forEach((p, i) => {
        if (!p.value.includes('${')) return;
        const fullKey = `${agent}.${section}.${componentName}.${p.key}`;
        let value = p.value;
        for (const filter of filters) {
          value = value.replace(filterReference(filter), (whole, _quote: string, variable: string) => {
            const v = env[variable];
            if (v !== undefined) return v;
            report('error', p.line, `${fullKey}: config filter ${filter}: environment variable ${variable} is not set (the value refers to ${whole})`);
            return whole;
          });
        }
        for (const m of value.matchAll(/\$\{([^\s[}]+)\[[^\]]*\]\}/g)) {
          if (!list?.names.includes(m[1]!)) {
            report('warning', p.line, `${fullKey}: ${m[0]} is kept as written: ${m[1]} is not a config filter of ${agent}.configfilters`);
          }
        }
        for (const m of value.matchAll(/\$\{(env|sys|java|date):[^}]*\}/g)) {
          report('warning', p.line, `${fullKey}: ${m[0]} is kept as written: Sluice does not implement Flume's ${m[1]}: lookups; use \${NAME} with -DpropertiesImplementation=${ENV_VAR_RESOLVER}, or an env config filter`);
        }
        if (!envVars) {
          for (const m of value.matchAll(ENV_REFERENCE)) {
            report('warning', p.line, `${fullKey}: ${m[0]} is kept as written; start the agent with -DpropertiesImplementation=${ENV_VAR_RESOLVER} to take it from the environment`);
          }
        }
        cp.props[i] = { ...p, value };
      });
    }
  }
}
