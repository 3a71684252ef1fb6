import type { InterceptorFactory, KeySpecs } from '@sluice/config';
import type { Logger, SluiceEvent } from '@sluice/core';
import { parse } from 'date-fns';
import { regexProblem } from '../regex.js';

/** Flume's serializer that turns a matched date into epoch milliseconds. */
const MILLIS = 'org.apache.flume.interceptor.RegexExtractorInterceptorMillisSerializer';
const PASS_THROUGH = 'org.apache.flume.interceptor.RegexExtractorInterceptorPassThroughSerializer';

export const REGEX_EXTRACTOR_KEYS = {
  regex: { format: 'string', default: undefined, doc: 'Regular expression searched for in the body (UTF-8); its groups become headers.' },
  serializers: { format: 'list-ws', default: [], doc: 'Names of the serializers, one per group of regex, in group order.' },
} as const satisfies KeySpecs;

interface Serializer {
  readonly header: string;
  /** The header value of a matched group, or undefined to set none. */
  readonly serialize: (group: string) => string | undefined;
}

/** The serializers' own keys, `serializers.<s>.name|type|pattern`, by serializer name. */
function serializerKeys(config: Readonly<Record<string, unknown>>, name: string): { name?: string; type: string; pattern?: string } {
  const get = (k: string) => config[`serializers.${name}.${k}`] as string | undefined;
  return { name: get('name'), type: get('type') ?? PASS_THROUGH, pattern: get('pattern') };
}

function serializerProblems(config: Readonly<Record<string, unknown>> & { serializers: readonly string[] }): string[] {
  const errors: string[] = [];
  for (const s of config.serializers) {
    const k = serializerKeys(config, s);
    if (k.name === undefined || k.name === '') errors.push(`serializers.${s}.name is required (the header the group goes to)`);
    if (k.type !== PASS_THROUGH && k.type !== MILLIS) errors.push(`serializers.${s}.type ${k.type} is not supported (${PASS_THROUGH} or ${MILLIS})`);
    if (k.type === MILLIS && (k.pattern === undefined || k.pattern === '')) errors.push(`serializers.${s}.pattern is required by the millis serializer`);
  }
  const listed = new Set(config.serializers);
  for (const key of Object.keys(config)) {
    const name = /^serializers\.([^.]+)\./.exec(key)?.[1];
    if (name !== undefined && !listed.has(name)) errors.push(`${key}: serializer ${name} is not listed in serializers`);
  }
  return errors;
}

function makeSerializer(config: Readonly<Record<string, unknown>>, name: string, logger: Logger): Serializer {
  const k = serializerKeys(config, name);
  if (k.type !== MILLIS) return { header: k.name!, serialize: (g) => g };
  const pattern = k.pattern!;
  return {
    header: k.name!,
    serialize(g) {
      const t = parse(g, pattern, new Date(0)).getTime();
      if (Number.isNaN(t)) {
        logger.debug({ serializer: name, pattern }, 'A matched date does not fit its pattern; no header set.');
        return undefined;
      }
      return String(t);
    },
  };
}

/**
 * `regex_extractor`: on the first match of `regex` in the body, group i goes, through serializer i,
 * into that serializer's header (overwriting it). Groups beyond the serializers are ignored; an
 * event without a match passes unchanged.
 */
export const regexExtractorInterceptor: InterceptorFactory<typeof REGEX_EXTRACTOR_KEYS> = {
  kind: 'interceptor',
  type: 'regex_extractor',
  aliases: ['org.apache.flume.interceptor.RegexExtractorInterceptor$Builder'],
  doc: 'Puts the groups of the first match of `regex` in the body into headers, one serializer per group (`serializers.<s>.name`; the millis serializer parses a date with `serializers.<s>.pattern`, date-fns tokens, which match Joda\'s for y M d H h m s S a E).',
  keys: REGEX_EXTRACTOR_KEYS,
  dynamicKeys: { 'serializers.': { format: 'string', default: '', doc: 'A serializer\'s `name`, `type` or `pattern`.' } },
  check(config) {
    const problem = regexProblem(config.regex);
    return [...(problem === undefined ? [] : [`regex ${JSON.stringify(config.regex)}: ${problem}`]), ...serializerProblems(config)];
  },
  create(config, ctx) {
    const re = new RegExp(config.regex);
    const serializers = config.serializers.map((s) => makeSerializer(config, s, ctx.logger));
    const extract = (e: SluiceEvent) => {
      const m = re.exec(e.body.toString('utf8'));
      if (m === null) return;
      for (let i = 0; i < serializers.length && i + 1 < m.length; i++) {
        const group = m[i + 1];
        if (group === undefined) continue;
        const value = serializers[i]!.serialize(group);
        if (value !== undefined) Object.defineProperty(e.headers, serializers[i]!.header, { value, enumerable: true, writable: true, configurable: true });
      }
    };
    return {
      intercept(events) {
        for (const e of events) extract(e);
        return events;
      },
    };
  },
};
