/**
 * Which configuration values are secrets, so that whatever shows a configuration (`sluice check`,
 * a diagnostic) prints a mask instead. The rule is by key name, case-insensitive: a key is secret
 * when it ends in `password`, `passwd`, `secret` or `token`, contains `credential`, or is Kafka's
 * `kafka.…sasl.jaas.config`. It applies to a component's own key (`keystore-password`) and to a
 * full property name (`a1.sources.r1.keystore-password`) alike.
 */

/** What is printed instead of a secret value. */
export const SECRET_MASK = '******';

const SECRET_KEY = /(password|passwd|secret|token)$|credential|(^|\.)kafka\..*sasl\.jaas\.config$/i;

/** True when the value of `key` must never be printed. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0);
}

/** The value to show for `key`: {@link SECRET_MASK} for a secret that is set; an empty one stays empty, so an unset secret shows as unset. */
export function maskValue(key: string, value: unknown): unknown {
  return isSecretKey(key) && !isEmpty(value) ? SECRET_MASK : value;
}

/** A copy of `props` with every secret value that is set replaced by {@link SECRET_MASK}; the other values, and the key order, unchanged. */
export function maskSecrets<T>(props: Readonly<Record<string, T>>): Record<string, T | typeof SECRET_MASK> {
  return Object.fromEntries(Object.entries(props).map(([k, v]) => [k, maskValue(k, v) as T | typeof SECRET_MASK]));
}
