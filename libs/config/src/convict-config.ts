/**
 * A component's configuration, built and validated by convict: the declared keys with their
 * defaults and the strict formats of `formats.ts` (registered with convict), the raw text of each
 * value coerced and checked by those formats, and every invalid value collected with its key.
 *
 * convict reads `.` in a key as nesting, while Flume has keys such as `sink.pathManager` and
 * `sink.pathManager.prefix` side by side, so every key is escaped to a dot-free name first.
 */
import convict from 'convict';
import { CONVICT_SPEC_FIELD, collectProblems, convictFormatName, registerConvictFormats, type KeyProblem } from './formats.js';
import type { KeySpec } from './spec.js';

/** Escapes a Flume key to a name convict takes as one path segment (reversible, no `.`). */
export function escapeConvictKey(key: string): string {
  return key.replace(/[^A-Za-z0-9-]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function unescapeConvictKey(name: string): string {
  return name.replace(/%([0-9a-f]{4})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** A key of the configuration being built: its Flume name and spec. */
export interface DeclaredKey {
  readonly key: string;
  readonly spec: KeySpec;
}

export type ConvictResult =
  | { readonly ok: true; readonly config: Record<string, unknown> }
  | { readonly ok: false; readonly problems: readonly KeyProblem[] };

/**
 * Declares `keys` to convict, loads the raw text of the values given (by Flume key), and lets
 * convict coerce them, apply the defaults and validate. Returns the configuration by Flume key, or
 * every value its format refused, each with what was expected. Keys not declared are the caller's
 * to report (convict's strict mode would stop at the first one).
 */
export function convictConfig(keys: readonly DeclaredKey[], raw: ReadonlyMap<string, string>): ConvictResult {
  registerConvictFormats();
  const schema: Record<string, convict.SchemaObj> = {};
  for (const { key, spec } of keys) {
    schema[escapeConvictKey(key)] = {
      default: spec.default as unknown,
      doc: spec.doc,
      format: convictFormatName(spec.format),
      nullable: spec.default === null,
      [CONVICT_SPEC_FIELD]: { key, format: spec.format, min: spec.min, max: spec.max },
    };
  }
  const loaded: Record<string, string> = {};
  for (const [key, value] of raw) loaded[escapeConvictKey(key)] = value;

  // env and args are given explicitly so convict never reads process.env or process.argv.
  const cfg = convict<Record<string, unknown>>(schema, { env: {}, args: [] });
  cfg.load(loaded);
  const problems = collectProblems(() => cfg.validate({ allowed: 'warn', output: () => undefined }));
  if (problems.length > 0) return { ok: false, problems };
  const config: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(cfg.getProperties())) config[unescapeConvictKey(name)] = value;
  return { ok: true, config };
}
