/**
 * The level to log one report at. On a warn, `suppressed` is how many reports of the same key went
 * to debug since its previous warn (0 for its first).
 */
export type RateLimitedLevel = { readonly level: 'warn'; readonly suppressed: number } | { readonly level: 'debug' };

export interface RateLimitedWarnOptions {
  /** Least time between two warns for one key (default one minute). */
  readonly intervalMs?: number;
  /** Keys remembered at most (default 1024); past it all are forgotten, so each warns once more. */
  readonly maxKeys?: number;
  /** The clock, in ms; tests pass their own. */
  readonly now?: () => number;
}

/**
 * Keeps a peer that repeats a mistake in a loop from flooding the log: its first report is a
 * warn, then the ones within `intervalMs` of that warn are debug; the first one after is a warn
 * again and carries how many went to debug in between. A key is whatever names the peer (an
 * address). Nothing is logged on a timer: a count still pending when the peer stops is only at
 * debug.
 */
export class RateLimitedWarn {
  private readonly keys = new Map<string, { warnedAt: number; suppressed: number }>();
  private readonly intervalMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;

  constructor(options: RateLimitedWarnOptions = {}) {
    this.intervalMs = options.intervalMs ?? 60_000;
    this.maxKeys = options.maxKeys ?? 1024;
    this.now = options.now ?? Date.now;
  }

  /** Counts one report for `key` and says at which level to log it. */
  report(key: string): RateLimitedLevel {
    const now = this.now();
    const seen = this.keys.get(key);
    if (seen !== undefined && now - seen.warnedAt < this.intervalMs) {
      seen.suppressed++;
      return { level: 'debug' };
    }
    if (seen === undefined && this.keys.size >= this.maxKeys) this.keys.clear();
    this.keys.set(key, { warnedAt: now, suppressed: 0 });
    return { level: 'warn', suppressed: seen?.suppressed ?? 0 };
  }
}
