/**
 * Penalties of the sinks of a group (failover's cool-down, load_balance's backoff): exponential,
 * capped, jittered, and reset by a success.
 */

/** Where a sink processor reads time and randomness; tests inject their own so nothing sleeps. */
export interface ProcessorEnv {
  /** Milliseconds on a monotonic clock (default `performance.now()`, immune to wall-clock steps). */
  readonly now: () => number;
  /** A number in [0, 1) (default `Math.random`). */
  readonly random: () => number;
}

export const SYSTEM_ENV: ProcessorEnv = Object.freeze({ now: () => performance.now(), random: Math.random });

/** Flume's unit: the n-th consecutive failure costs `1000 × 2^n` ms, up to the cap. */
export const PENALTY_BASE_MS = 1000;

/** Past this many consecutive failures the exponent stops growing (the cap has long been reached). */
const MAX_EXPONENT = 30;

/** The share of the nominal penalty a jittered one may lose: it is drawn from [80%, 100%] of it. */
export const PENALTY_JITTER = 0.2;

/**
 * The penalty after `fails` consecutive failures (fails ≥ 1): Flume's `min(capMs, 1000 × 2^fails)`,
 * then shortened by up to 20% at random so that agents which lost the same peer at the same moment
 * do not all retry it in the same millisecond. Never longer than `capMs`.
 */
export function penaltyMs(fails: number, capMs: number, random: () => number): number {
  const nominal = Math.min(capMs, PENALTY_BASE_MS * 2 ** Math.min(fails, MAX_EXPONENT));
  return nominal * (1 - PENALTY_JITTER * random());
}

/**
 * The health of one sink of a group. A sink is *down* from its first failure until its next
 * success, and *penalised* (not tried, unless nothing else can be) until `readyAt`.
 */
export class SinkPenalty {
  /** Consecutive failures since the last success (Flume's `fails` / `sequentialFails`). */
  fails = 0;
  /** When the current penalty ends, on the env's clock; 0 when there is none. */
  readyAt = 0;

  get down(): boolean {
    return this.fails > 0;
  }

  isPenalised(now: number): boolean {
    return now < this.readyAt;
  }

  /** Records a failure at `now` and returns the penalty it earned, in ms. */
  fail(now: number, capMs: number, random: () => number): number {
    this.fails++;
    const ms = penaltyMs(this.fails, capMs, random);
    this.readyAt = now + ms;
    return ms;
  }

  /** Records a success: the sink is up and the next failure starts from the shortest penalty again. */
  succeed(): void {
    this.fails = 0;
    this.readyAt = 0;
  }
}
