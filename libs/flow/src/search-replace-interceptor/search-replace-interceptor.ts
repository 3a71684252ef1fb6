import type { InterceptorFactory, KeySpecs } from '@sluice/config';
import { regexProblem } from '../regex.js';

/** The charsets a body can be decoded with, by Java's name (any case) → Node's encoding. */
const CHARSETS: Readonly<Record<string, BufferEncoding>> = {
  'utf-8': 'utf8',
  utf8: 'utf8',
  'iso-8859-1': 'latin1',
  latin1: 'latin1',
  'us-ascii': 'ascii',
  ascii: 'ascii',
  'utf-16le': 'utf16le',
};

export const SEARCH_REPLACE_KEYS = {
  searchPattern: { format: 'string', default: undefined, doc: 'Regular expression; every match in the body is replaced.' },
  replaceString: { format: 'string', default: '', doc: 'The replacement; `$1`, `$2`... insert the groups of the match.' },
  charset: { format: 'string', default: 'UTF-8', doc: 'Charset of the body: UTF-8, ISO-8859-1, US-ASCII or UTF-16LE.' },
} as const satisfies KeySpecs;

/** `search_replace`: replaces every match of a regular expression in each body. */
export const searchReplaceInterceptor: InterceptorFactory<typeof SEARCH_REPLACE_KEYS> = {
  kind: 'interceptor',
  type: 'search_replace',
  aliases: ['org.apache.flume.interceptor.SearchAndReplaceInterceptor$Builder'],
  doc: 'Replaces every match of `searchPattern` in the body with `replaceString` (groups as `$1`).',
  keys: SEARCH_REPLACE_KEYS,
  check(config) {
    const errors: string[] = [];
    const problem = regexProblem(config.searchPattern);
    if (problem !== undefined) errors.push(`searchPattern ${JSON.stringify(config.searchPattern)}: ${problem}`);
    if (CHARSETS[config.charset.toLowerCase()] === undefined) errors.push(`charset ${config.charset} is not supported (${Object.keys(CHARSETS).join(', ')})`);
    return errors;
  },
  create(config) {
    const re = new RegExp(config.searchPattern, 'g');
    const encoding = CHARSETS[config.charset.toLowerCase()]!;
    const replacement = config.replaceString;
    return {
      intercept(events) {
        for (const e of events) e.body = Buffer.from(e.body.toString(encoding).replace(re, replacement), encoding);
        return events;
      },
    };
  },
};
