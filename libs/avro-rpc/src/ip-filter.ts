import { promises as dns } from 'node:dns';
import { networkInterfaces } from 'node:os';
import { SluiceError } from '@sluice/core';

/**
 * Decides whether a peer may connect; resolves true to accept. Called once per accepted
 * connection, before any byte of it is read.
 */
export type IpFilter = (address: string) => boolean | Promise<boolean>;

/** One rule of Flume's `ipFilterRules`: `allow|deny:ip|name:<glob>`. */
export interface IpFilterRule {
  readonly allow: boolean;
  readonly kind: 'ip' | 'name';
  readonly pattern: string;
  readonly regex: RegExp;
}

function globToRegExp(glob: string, caseInsensitive: boolean): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, caseInsensitive ? 'i' : '');
}

/**
 * Parses Flume's `ipFilterRules`: a comma-separated list of `allow|deny:ip|name:<glob>` rules,
 * where the glob takes `*` and `?`. Throws SLUICE_ERR_CONFIG (naming the bad rule) on any rule
 * that does not have that form, and on an empty list.
 */
export function parseIpFilterRules(text: string): IpFilterRule[] {
  const rules: IpFilterRule[] = [];
  for (const raw of text.split(',')) {
    const rule = raw.trim();
    const m = /^(allow|deny):(ip|name):(.+)$/.exec(rule);
    if (!m) {
      throw new SluiceError(
        'SLUICE_ERR_CONFIG',
        `invalid ipFilterRules rule '${rule}': it should look like <allow|deny>:<ip|name>:<pattern>`,
      );
    }
    const kind = m[2] as 'ip' | 'name';
    rules.push({ allow: m[1] === 'allow', kind, pattern: m[3]!, regex: globToRegExp(m[3]!, kind === 'name') });
  }
  if (rules.length === 0) throw new SluiceError('SLUICE_ERR_CONFIG', 'ipFilterRules is empty');
  return rules;
}

/** `::ffff:10.0.0.1` (an IPv4 peer on a dual-stack socket) → `10.0.0.1`. */
export function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

function isLocalAddress(address: string): boolean {
  if (address === '::1' || address.startsWith('127.')) return true;
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) if (info.address === address) return true;
  }
  return false;
}

export interface IpFilterOptions {
  /** Reverse lookup used by `name:` rules (default: DNS PTR lookup). */
  readonly reverse?: (address: string) => Promise<string[]>;
  /** Bound on a reverse lookup; past it the peer has no name (default 2000 ms). */
  readonly lookupTimeoutMs?: number;
}

/**
 * Builds a filter from rules with Flume's semantics (Netty's pattern rules): the first rule that
 * matches decides; a peer no rule matches is accepted. `ip:` globs match the textual address;
 * `name:` globs match the peer's reverse-DNS names (case-insensitively), and `name:localhost`
 * also matches any address of this host. Names are looked up only when a `name:` rule is reached.
 */
export function createIpFilter(rules: readonly IpFilterRule[], options: IpFilterOptions = {}): IpFilter {
  const reverse = options.reverse ?? ((a: string) => dns.reverse(a));
  const timeoutMs = options.lookupTimeoutMs ?? 2000;
  const lookup = async (address: string): Promise<string[]> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        reverse(address),
        new Promise<string[]>((resolve) => {
          timer = setTimeout(() => resolve([]), timeoutMs);
        }),
      ]);
    } catch {
      // No PTR record (or resolver failure): the peer simply has no name to match.
      return [];
    } finally {
      clearTimeout(timer);
    }
  };
  return async (rawAddress: string): Promise<boolean> => {
    const address = normalizeAddress(rawAddress);
    let names: string[] | undefined;
    for (const rule of rules) {
      if (rule.kind === 'ip') {
        if (rule.regex.test(address)) return rule.allow;
        continue;
      }
      if (rule.pattern.toLowerCase() === 'localhost' && isLocalAddress(address)) return rule.allow;
      names ??= await lookup(address);
      if (names.some((n) => rule.regex.test(n))) return rule.allow;
    }
    return true;
  };
}
