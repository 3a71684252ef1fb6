import type { AgentSnapshot, AgentState } from './snapshot.js';

/** The `/health` JSON body. */
export interface HealthBody {
  readonly status: 'ok' | 'unavailable';
  readonly agent: string;
  readonly state: AgentState;
  /** Why the agent is unavailable, in a sentence per cause; null when ok. */
  readonly reason: string | null;
  /** Workers over their restart limit, with why. */
  readonly failed: readonly { readonly worker: string; readonly failure: string }[];
  /** Workers in an ordinary restart (starting or backing off): reported, not a failure. */
  readonly restarting: readonly string[];
}

export interface Health {
  readonly ok: boolean;
  readonly status: 200 | 503;
  readonly body: HealthBody;
}

/**
 * The agent's health: 200 while it is running and no worker has failed (over its restart limit);
 * 503 while it is starting, stopping or stopped, or when any worker has failed, with a reason
 * naming each failed worker. A worker starting or backing off before a restart does not make the
 * agent unhealthy.
 */
export function health(snapshot: AgentSnapshot): Health {
  const reasons: string[] = [];
  if (snapshot.state !== 'running') reasons.push(`agent ${snapshot.agent} is ${snapshot.state}`);
  const failed = snapshot.workers
    .filter((w) => w.state === 'failed')
    .map((w) => ({ worker: w.id, failure: w.failure ?? 'over its restart limit' }));
  for (const f of failed) reasons.push(`worker ${f.worker} failed: ${f.failure}`);
  const restarting = snapshot.workers.filter((w) => w.state === 'backoff' || w.state === 'starting').map((w) => w.id);
  const ok = reasons.length === 0;
  return {
    ok,
    status: ok ? 200 : 503,
    body: { status: ok ? 'ok' : 'unavailable', agent: snapshot.agent, state: snapshot.state, reason: ok ? null : reasons.join('; '), failed, restarting },
  };
}
