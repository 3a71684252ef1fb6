/** How the supervisor restarts a worker that died (DESIGN §7). */
export interface RestartPolicyOptions {
  /** First backoff; doubles per consecutive failure up to `maxBackoffMs`, with full jitter on its upper half. */
  readonly minBackoffMs: number;
  readonly maxBackoffMs: number;
  /** More than `limit` restarts within `windowMs` marks the component failed. */
  readonly limit: number;
  readonly windowMs: number;
  /** A worker that ran this long before dying starts again from `minBackoffMs`. */
  readonly stableMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicyOptions = {
  minBackoffMs: 250,
  maxBackoffMs: 10_000,
  limit: 20,
  windowMs: 600_000,
  stableMs: 10_000,
};

/** The restart state of one component. */
export class RestartPolicy {
  private consecutive = 0;
  private readonly recent: number[] = [];

  constructor(private readonly options: RestartPolicyOptions) {}

  /**
   * Records a death after `ranMs` of life; returns the delay before the next start, or
   * undefined when the component is over its restart-intensity limit and must stay failed.
   */
  onExit(now: number, ranMs: number): number | undefined {
    const { minBackoffMs, maxBackoffMs, limit, windowMs, stableMs } = this.options;
    if (ranMs >= stableMs) this.consecutive = 0;
    while (this.recent.length > 0 && this.recent[0]! <= now - windowMs) this.recent.shift();
    if (this.recent.length >= limit) return undefined;
    this.recent.push(now);
    const cap = Math.min(maxBackoffMs, minBackoffMs * 2 ** this.consecutive++);
    return cap / 2 + Math.random() * (cap / 2);
  }

  /** `ctl restart` or a reload clears the failed state. */
  reset(): void {
    this.consecutive = 0;
    this.recent.length = 0;
  }
}
