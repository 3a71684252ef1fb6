/**
 * Builds a component's final configuration object with convict: declared keys, defaults, the
 * strict formats of `formats.ts`, then Flume's key spelling again.
 *
 * convict reads `.` in a key as nesting, while Flume has keys such as `sink.pathManager` and
 * `sink.pathManager.prefix` side by side, so every key is escaped to a dot-free name first.
 */
import convict from 'convict';
import { CONVICT_SPEC_FIELD, convictFormatName, registerConvictFormats } from './formats.js';
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

/**
 * Declares `keys` to convict, loads the already validated `values` (typed, by Flume key), lets
 * convict apply the defaults and validate, and returns the result by Flume key.
 *
 * Values must already satisfy their formats and every required key must be present: a failure
 * here is a bug (a spec default outside its own format), so it throws.
 */
export function buildConfig(keys: readonly DeclaredKey[], values: ReadonlyMap<string, unknown>): Record<string, unknown> {
  registerConvictFormats();
  const schema: Record<string, convict.SchemaObj> = {};
  for (const { key, spec } of keys) {
    schema[escapeConvictKey(key)] = {
      default: spec.default as unknown,
      doc: spec.doc,
      format: convictFormatName(spec.format),
      nullable: spec.default === null,
      [CONVICT_SPEC_FIELD]: { format: spec.format, min: spec.min, max: spec.max },
    };
  }
  const loaded: Record<string, unknown> = {};
  for (const [key, value] of values) loaded[escapeConvictKey(key)] = value;

  // env and args are given explicitly so convict never reads process.env or process.argv.
  const cfg = convict<Record<string, unknown>>(schema, { env: {}, args: [] });
  cfg.load(loaded);
  cfg.validate({
    allowed: 'warn',
    output: (message: string) => {
      throw new Error(`convict reported an undeclared key (a bug in the config lib): ${message}`);
    },
  });
  const result: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(cfg.getProperties())) result[unescapeConvictKey(name)] = value;
  return result;
}
