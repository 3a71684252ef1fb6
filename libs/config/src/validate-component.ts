/**
 * Validates one component's properties against its type's spec: unknown keys (with a "did you
 * mean"), every value through its strict format (by convict, the one validator of values),
 * required keys, then the checks every channel shares and the spec's own cross-key check.
 */
import { channelCapacityProblems } from './channel-keys.js';
import { convictConfig, type DeclaredKey } from './convict-config.js';
import type { Report } from './diagnostic.js';
import { KIND_LABEL } from './registry.js';
import type { ComponentSpec, KeySpec } from './spec.js';
import { maskValue } from './secrets.js';
import { suggest } from './suggest.js';

/** A property of a component; `key` is relative to the component (`capacity`, `optional`). */
export interface RawProperty {
  readonly key: string;
  readonly value: string;
  readonly line: number;
}

export interface ComponentCheck {
  /** The full key prefix of these properties, e.g. `a1.channels.c1.` or `a1.sources.r1.selector.`. */
  readonly prefix: string;
  readonly spec: ComponentSpec;
  /** The properties to validate (the caller has removed `type` and the keys it handles itself). */
  readonly props: readonly RawProperty[];
  /** Where problems of the component as a whole (a missing key, a failed check) are reported. */
  readonly line: number;
  /** Keys the caller handles itself (`channels`, `selector.type`...), offered as suggestions too. */
  readonly structuralKeys?: readonly string[];
  /** Unknown keys are errors instead of warnings. */
  readonly strict: boolean;
}

/** The key a dynamic family would give `key` if only its prefix were misspelled. */
function dynamicCandidate(prefix: string, key: string): string | undefined {
  const dots = prefix.split('.').length - 1;
  const parts = key.split('.');
  return parts.length > dots ? prefix + parts.slice(dots).join('.') : undefined;
}

function findDynamic(spec: ComponentSpec, key: string): KeySpec | undefined {
  for (const [prefix, keySpec] of Object.entries(spec.dynamicKeys ?? {})) {
    if (key.startsWith(prefix) && key.length > prefix.length) return keySpec;
  }
  return undefined;
}

/** Reports an unknown key of a component, with the closest known key when one is close. */
export function reportUnknownKey(
  report: Report,
  strict: boolean,
  fullKey: string,
  line: number,
  what: string,
  candidates: readonly string[],
  key: string,
): void {
  const guess = suggest(key, candidates);
  const hint = guess !== undefined ? `; did you mean "${guess}"?` : candidates.length > 0 ? ` (known keys: ${candidates.join(', ')})` : '';
  report(strict ? 'error' : 'warning', line, `${fullKey}: unknown key for ${what}${hint}`);
}

/**
 * Returns the validated, defaulted configuration (Flume key spelling), or `undefined` when a
 * value, a required key or the spec's check failed. Every problem goes to `report`.
 */
export function validateComponent(c: ComponentCheck, report: Report): Record<string, unknown> | undefined {
  // Reported in line order, whichever step found them.
  const found: Parameters<Report>[] = [];
  const config = validate(c, (...d) => found.push(d));
  for (const d of found.sort((a, b) => a[1] - b[1])) report(...d);
  return config;
}

function validate(c: ComponentCheck, report: Report): Record<string, unknown> | undefined {
  const { spec } = c;
  const what = `the ${spec.type} ${KIND_LABEL[spec.kind]}`;
  const declared: DeclaredKey[] = Object.entries(spec.keys).map(([key, keySpec]) => ({ key, spec: keySpec }));
  const values = new Map<string, string>();
  const present = new Set<string>();
  let failed = false;

  for (const p of c.props) {
    present.add(p.key);
    let keySpec: KeySpec | undefined = Object.hasOwn(spec.keys, p.key) ? spec.keys[p.key] : undefined;
    if (keySpec === undefined) {
      keySpec = findDynamic(spec, p.key);
      if (keySpec !== undefined) declared.push({ key: p.key, spec: keySpec });
    }
    if (keySpec === undefined) {
      const dynamic = Object.keys(spec.dynamicKeys ?? {}).flatMap((prefix) => dynamicCandidate(prefix, p.key) ?? []);
      const candidates = [...Object.keys(spec.keys), ...(c.structuralKeys ?? []), ...dynamic];
      reportUnknownKey(report, c.strict, c.prefix + p.key, p.line, what, candidates, p.key);
      continue;
    }
    values.set(p.key, p.value);
  }

  const built = convictConfig(declared, values);
  if (!built.ok) {
    for (const { key, expected } of built.problems) {
      const p = c.props.findLast((x) => x.key === key);
      // Defaults were checked against their formats when the registry was built.
      if (p === undefined) throw new Error(`${what}: the default of ${key} is not ${expected} (a bug in its spec)`);
      report('error', p.line, `${c.prefix}${key}: invalid value ${JSON.stringify(maskValue(key, p.value))}, expected ${expected}`);
    }
  }
  for (const [key, keySpec] of Object.entries(spec.keys)) {
    if (keySpec.default === undefined && !present.has(key)) {
      report('error', c.line, `${c.prefix}${key}: required by ${what} but missing`);
      failed = true;
    }
  }
  if (failed || !built.ok) return undefined;
  const { config } = built;
  const problems = [...(spec.kind === 'channel' ? channelCapacityProblems(config) : []), ...(spec.check?.(config) ?? [])];
  for (const message of problems) report('error', c.line, `${c.prefix.replace(/\.$/, '')}: ${message}`);
  if (problems.length > 0) return undefined;
  const hostProblems = spec.checkHost?.(config) ?? [];
  for (const { key, message } of hostProblems) {
    report('error', c.props.find((p) => p.key === key)?.line ?? c.line, `${c.prefix}${key}: ${message}`);
  }
  return hostProblems.length === 0 ? config : undefined;
}
