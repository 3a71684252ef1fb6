import { readdirSync, readFileSync } from 'node:fs';
import { alive, waitFor, type AgentProcess } from './agent.js';

/** The pids whose parent is `pid` (from /proc). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/**
 * kill -9 of a whole agent, as a power cut of its process tree would be: the supervisor is
 * frozen first (SIGSTOP, so it cannot react), then every worker's process group (workers are
 * forked detached, each leads its own group; found both in status.json and as the supervisor's
 * children in /proc) and the supervisor get SIGKILL. Resolves once all of them are gone.
 * Returns the pids killed.
 */
export async function killAgentHard(agent: AgentProcess): Promise<number[]> {
  const supervisor = agent.child.pid!;
  signal(supervisor, 'SIGSTOP');
  const workers = new Set<number>(childPids(supervisor));
  for (const c of agent.status()?.components ?? []) if (c.pid !== null) workers.add(c.pid);
  for (const w of workers) {
    signal(-w, 'SIGKILL'); // its group: the worker and whatever it started
    signal(w, 'SIGKILL'); // in case it was not a group leader
  }
  signal(supervisor, 'SIGKILL');
  const all = [supervisor, ...workers];
  await waitFor('every process of the agent gone', () => (all.every(gone) ? true : undefined), 10_000);
  await waitFor('agent exit seen', () => (agent.child.exitCode !== null || agent.child.signalCode !== null ? true : undefined), 10_000);
  return all;
}

/** Whether a process has exited (gone, or a zombie not yet reaped). */
export function gone(pid: number): boolean {
  return !alive(pid) || isZombie(pid);
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

