import type { InterceptorFactory, KeySpecs } from '@sluice/config';
import { regexProblem } from '../regex.js';

export const REMOVE_HEADER_KEYS = {
  withName: { format: 'string', default: '', doc: 'A header to remove, by its exact name.' },
  fromList: { format: 'string', default: '', doc: 'Headers to remove, by name, separated by fromListSeparator.' },
  fromListSeparator: { format: 'string', default: '\\s*,\\s*', doc: 'Regular expression that separates the names of fromList.' },
  matching: { format: 'string', default: '', doc: 'Regular expression: headers whose whole name matches it are removed.' },
} as const satisfies KeySpecs;

/** `remove_header`: removes headers by name, from a list, or by a pattern of their names. */
export const removeHeaderInterceptor: InterceptorFactory<typeof REMOVE_HEADER_KEYS> = {
  kind: 'interceptor',
  type: 'remove_header',
  aliases: ['org.apache.flume.interceptor.RemoveHeaderInterceptor$Builder'],
  doc: 'Removes the header `withName`, the headers of `fromList`, and the headers whose whole name matches `matching`.',
  keys: REMOVE_HEADER_KEYS,
  check(config) {
    const errors: string[] = [];
    for (const key of ['fromListSeparator', 'matching'] as const) {
      const problem = config[key] === '' ? undefined : regexProblem(config[key]);
      if (problem !== undefined) errors.push(`${key} ${JSON.stringify(config[key])}: ${problem}`);
    }
    return errors;
  },
  create(config) {
    const names = new Set<string>(config.withName === '' ? [] : [config.withName]);
    if (config.fromList !== '') for (const n of config.fromList.split(new RegExp(config.fromListSeparator))) if (n !== '') names.add(n);
    const matching = config.matching === '' ? undefined : new RegExp(`^(?:${config.matching})$`);
    const removed = (name: string) => names.has(name) || (matching?.test(name) ?? false);
    return {
      intercept(events) {
        for (const e of events) for (const name of Object.keys(e.headers)) if (removed(name)) delete e.headers[name];
        return events;
      },
    };
  },
};
