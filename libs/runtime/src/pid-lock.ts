import { closeSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { SluiceError, type Logger } from '@sluice/core';

interface LockOwner {
  readonly pid: number;
  /** Field 22 of /proc/<pid>/stat: tells a live owner from a reused pid. */
  readonly startTime: string;
}

/**
 * The start time of a live process, or undefined when it does not exist or is a zombie (right
 * after a kill -9 of a whole agent, its processes are zombies until they are reaped).
 */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
    return fields[19];
  } catch {
    return undefined;
  }
}

function readOwner(path: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
    return typeof owner.pid === 'number' ? owner : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes a pid lock file (pid + process start time). A live owner → SLUICE_ERR_LOCKED; a stale one
 * (its process gone, or the pid reused by another process) is taken over with a warning, so a
 * kill -9 never blocks the restart. Returns a function that releases the lock.
 */
export function acquirePidLock(path: string, what: string, logger: Logger): () => void {
  const me: LockOwner = { pid: process.pid, startTime: processStartTime(process.pid) ?? '' };
  try {
    const fd = openSync(path, 'wx', 0o600);
    writeFileSync(fd, JSON.stringify(me));
    closeSync(fd);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const owner = readOwner(path);
    if (owner && owner.pid !== process.pid && processStartTime(owner.pid) === owner.startTime) {
      throw new SluiceError('SLUICE_ERR_LOCKED', `${what} is already in use by process ${owner.pid} (lock ${path})`);
    }
    logger.warn({ lock: path, stalePid: owner?.pid }, 'Took over a stale lock.');
    writeFileSync(`${path}.tmp`, JSON.stringify(me), { mode: 0o600 });
    renameSync(`${path}.tmp`, path);
  }
  return () => {
    if (readOwner(path)?.pid === process.pid) unlinkSync(path);
  };
}
