/**
 * Strict value formats for component keys. A value either parses exactly or is refused with a
 * description of what was expected; nothing is guessed ("10abc" is not 10, "yes" is not true).
 *
 * The same rules are registered with convict (`registerConvictFormats`), which coerces and
 * validates every value of a component's configuration with them (convict-config.ts).
 */
import convict from 'convict';
import type { FormatName, KeySpec } from './spec.js';

/** What a value's format depends on. */
export type FormatSpec = Pick<KeySpec, 'format' | 'min' | 'max'>;

export type ParseResult = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly expected: string };

const FORMAT_NAMES: readonly FormatName[] = ['int', 'bool', 'string', 'list-ws', 'list-comma', 'port', 'host'];

export function isFormatName(f: unknown): f is FormatName {
  return typeof f === 'string' && (FORMAT_NAMES as readonly string[]).includes(f);
}

function bounds(spec: FormatSpec): { min: number; max: number } {
  const isPort = spec.format === 'port';
  const min = Math.max(spec.min ?? -Number.MAX_SAFE_INTEGER, isPort ? 0 : -Number.MAX_SAFE_INTEGER);
  const max = Math.min(spec.max ?? Number.MAX_SAFE_INTEGER, isPort ? 65535 : Number.MAX_SAFE_INTEGER);
  return { min, max };
}

function describeRange(spec: FormatSpec): string {
  const hasMin = spec.min !== undefined;
  const hasMax = spec.max !== undefined;
  if (hasMin && hasMax) return ` from ${spec.min} to ${spec.max}`;
  if (hasMin) return ` of at least ${spec.min}`;
  if (hasMax) return ` of at most ${spec.max}`;
  return '';
}

/** What a value of this format must look like, as a phrase ("an integer of at least 1"). */
export function describeFormat(spec: FormatSpec): string {
  const f = spec.format;
  if (typeof f !== 'string') return `one of ${f.join(', ')} (any case)`;
  switch (f) {
    case 'int':
      return `an integer${describeRange(spec)}`;
    case 'port': {
      const { min, max } = bounds(spec);
      return `a port number from ${min} to ${max}`;
    }
    case 'bool':
      return 'true or false';
    case 'string':
      return 'text';
    case 'list-ws':
      return 'a whitespace-separated list';
    case 'list-comma':
      return 'a comma-separated list';
    case 'host':
      return 'a host name or IP address, without spaces';
  }
}

/** Parses the text of a value (already trimmed) without range checks; enums are not handled here. */
function parseFormat(format: FormatName, raw: string): ParseResult {
  const fail = { ok: false, expected: describeFormat({ format }) } as const;
  switch (format) {
    case 'int':
    case 'port': {
      if (!/^[+-]?\d+$/.test(raw)) return fail;
      const n = Number(raw);
      return Number.isSafeInteger(n) ? { ok: true, value: n === 0 ? 0 : n } : fail;
    }
    case 'bool':
      if (/^true$/i.test(raw)) return { ok: true, value: true };
      if (/^false$/i.test(raw)) return { ok: true, value: false };
      return fail;
    case 'string':
      return { ok: true, value: raw };
    case 'list-ws':
      return { ok: true, value: raw.split(/\s+/).filter((s) => s !== '') };
    case 'list-comma':
      return {
        ok: true,
        value: raw
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== ''),
      };
    case 'host':
      return raw !== '' && !/\s/.test(raw) ? { ok: true, value: raw } : fail;
  }
}

/**
 * Checks an already typed value (a parsed value or a spec default) against its format and range.
 * Returns what was expected when it does not fit, `undefined` when it does.
 */
export function checkValue(spec: FormatSpec, value: unknown): string | undefined {
  const f = spec.format;
  const expected = describeFormat(spec);
  if (typeof f !== 'string') return typeof value === 'string' && f.includes(value) ? undefined : expected;
  switch (f) {
    case 'int':
    case 'port': {
      const { min, max } = bounds(spec);
      return Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max ? undefined : expected;
    }
    case 'bool':
      return typeof value === 'boolean' ? undefined : expected;
    case 'string':
      return typeof value === 'string' ? undefined : expected;
    case 'host':
      return typeof value === 'string' && value !== '' && !/\s/.test(value) ? undefined : expected;
    case 'list-ws':
    case 'list-comma':
      return Array.isArray(value) && value.every((v) => typeof v === 'string') ? undefined : expected;
  }
}

/**
 * Parses the text of a value strictly: the format, then the range (`min`/`max`), then, for an
 * enum, a case-insensitive match normalised to the listed spelling.
 */
export function parseValue(spec: FormatSpec, raw: string): ParseResult {
  const f = spec.format;
  if (typeof f !== 'string') {
    const match = f.find((v) => v.toLowerCase() === raw.toLowerCase());
    return match === undefined ? { ok: false, expected: describeFormat(spec) } : { ok: true, value: match };
  }
  const parsed = parseFormat(f, raw);
  if (!parsed.ok) return { ok: false, expected: describeFormat(spec) };
  const problem = checkValue(spec, parsed.value);
  return problem === undefined ? parsed : { ok: false, expected: problem };
}

/** A value a format refused: its key and what was expected instead. */
export interface KeyProblem {
  readonly key: string;
  readonly expected: string;
}

/** What a schema item carries to the convict validator: its Flume key and its format's spec. */
interface ConvictSpec extends FormatSpec {
  readonly key: string;
}

/** The name under which a format is registered with convict; each enum's value list has its own. */
export function convictFormatName(format: FormatName | readonly string[]): string {
  if (typeof format === 'string') return `sluice-${format}`;
  const name = `sluice-enum:${format.join('|')}`;
  if (!registeredEnums.has(name)) {
    convict.addFormat({
      name,
      validate: validator,
      // Matched case-insensitively, normalised to the listed spelling; anything else is left for the validator to refuse.
      coerce: (raw: unknown) => (typeof raw === 'string' ? (format.find((v) => v.toLowerCase() === raw.toLowerCase()) ?? raw) : raw),
    });
    registeredEnums.add(name);
  }
  return name;
}

/** The schema-item field that carries a key's own spec (its key, bounds, enum values) to the convict validator. */
export const CONVICT_SPEC_FIELD = 'sluiceSpec';

const registeredEnums = new Set<string>();
let registered = false;
let collecting: KeyProblem[] | undefined;

/** The convict validator of every strict format: the key's own spec is in the schema item. */
function validator(value: unknown, schema: convict.SchemaObj): void {
  const own = (schema as Record<string, unknown>)[CONVICT_SPEC_FIELD] as ConvictSpec;
  const problem = checkValue(own, value);
  if (problem === undefined) return;
  collecting?.push({ key: own.key, expected: problem });
  throw new Error(`must be ${problem}`);
}

/**
 * Runs a convict validation and returns every value the strict formats refused, by key. A
 * validation that fails for another reason (a schema convict itself refuses) is a bug: it throws.
 */
export function collectProblems(validate: () => void): KeyProblem[] {
  const problems: KeyProblem[] = [];
  collecting = problems;
  try {
    validate();
  } catch (err) {
    if (problems.length === 0) throw err;
  } finally {
    collecting = undefined;
  }
  return problems;
}

/**
 * Registers every strict format with convict (idempotent). Each coercer turns the text of a value
 * into the typed value, or leaves it unchanged for the validator to refuse.
 */
export function registerConvictFormats(): void {
  if (registered) return;
  for (const format of FORMAT_NAMES) {
    convict.addFormat({
      name: convictFormatName(format),
      validate: validator,
      coerce: (raw: unknown) => {
        if (typeof raw !== 'string') return raw;
        const parsed = parseFormat(format, raw);
        return parsed.ok ? parsed.value : raw;
      },
    });
  }
  registered = true;
}
