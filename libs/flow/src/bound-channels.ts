import type { HostProblem } from '@sluice/config';

/** A problem for each channel of `names` (the value of `key`) that the source is not bound to. */
export function unboundChannels(key: string, names: readonly string[], channels: readonly string[]): HostProblem[] {
  return names
    .filter((c) => !channels.includes(c))
    .map((c) => ({ key, message: `${c} is not a channel of this source (its channels: ${channels.join(' ')})` }));
}
