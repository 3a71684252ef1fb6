import { readdirSync, readFileSync } from 'node:fs';

const MAX_PROCESSES = 4096;

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ESRCH' || code === 'EINVAL';
}

/** The direct children of `pid` on Linux (from /proc/<pid>/task/<tid>/children); [] elsewhere. */
function childrenOf(pid: number): number[] {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch (err) {
    if (isMissing(err)) return [];
    throw err;
  }
  const out: number[] = [];
  for (const tid of tids) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'latin1');
    } catch (err) {
      if (isMissing(err)) continue;
      throw err;
    }
    for (const p of text.split(' ')) if (p !== '' && p !== '\n') out.push(Number(p));
  }
  return out;
}

/**
 * Every descendant of `pid` (children, grandchildren...), found through /proc. A shell such as
 * dash forks the command it runs instead of replacing itself, so killing the shell alone would
 * orphan the command: callers signal the whole tree.
 */
export function descendantsOf(pid: number): number[] {
  const seen = new Set<number>();
  const stack = [pid];
  while (stack.length > 0 && seen.size < MAX_PROCESSES) {
    for (const child of childrenOf(stack.pop()!)) {
      if (!seen.has(child) && child !== pid) {
        seen.add(child);
        stack.push(child);
      }
    }
  }
  return [...seen];
}

/** Sends `signal` to each pid; a process already gone is skipped. */
export function signalAll(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  }
}

/** True while `pid` exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch (err) {
    if (isMissing(err)) return false;
    throw err;
  }
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}
