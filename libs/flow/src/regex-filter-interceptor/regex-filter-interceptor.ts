import type { InterceptorFactory, KeySpecs } from '@sluice/config';
import { regexProblem } from '../regex.js';

export const REGEX_FILTER_KEYS = {
  regex: { format: 'string', default: '.*', doc: 'Regular expression searched for anywhere in the body (decoded as UTF-8).' },
  excludeEvents: { format: 'bool', default: false, doc: 'false: keep only the events that match; true: drop the events that match.' },
} as const satisfies KeySpecs;

/** `regex_filter`: keeps (or, with excludeEvents, drops) the events whose body contains a match. */
export const regexFilterInterceptor: InterceptorFactory<typeof REGEX_FILTER_KEYS> = {
  kind: 'interceptor',
  type: 'regex_filter',
  aliases: ['org.apache.flume.interceptor.RegexFilteringInterceptor$Builder'],
  doc: 'Keeps the events whose body matches `regex` (drops them with `excludeEvents = true`). JavaScript regular expressions: most Java patterns mean the same.',
  keys: REGEX_FILTER_KEYS,
  check(config) {
    const problem = regexProblem(config.regex);
    return problem === undefined ? [] : [`regex ${JSON.stringify(config.regex)}: ${problem}`];
  },
  create(config) {
    const re = new RegExp(config.regex);
    const keep = !config.excludeEvents;
    return { intercept: (events) => events.filter((e) => re.test(e.body.toString('utf8')) === keep) };
  },
};
