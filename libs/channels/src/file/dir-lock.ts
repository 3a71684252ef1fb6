import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SluiceError, type Logger } from '@sluice/core';
import { fileError } from './errors.js';

export const LOCK_FILE = 'in_use.lock';

/** What a lock file holds: who took it, and when that process started (to detect pid reuse). */
export interface LockOwner {
  readonly pid: number;
  /** Field 22 of /proc/<pid>/stat (clock ticks since boot); null where /proc is unavailable. */
  readonly start: string | null;
  readonly host: string;
}

/** Lock files held by this process, so a second store here on the same directory is refused too. */
const held = new Set<string>();

/** The start time of a process from /proc/<pid>/stat, or null if it cannot be read. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The command name (field 2) is in parentheses and may hold spaces: parse after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null; // field 22 overall; fields[0] is field 3
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether a process has exited but was not reaped yet (state Z or X in /proc/<pid>/stat). Such a
 * process still answers kill(pid, 0) and keeps its start time, but holds no file: its lock is
 * stale. Right after a kill -9 of a whole agent its workers are zombies until init reaps them.
 */
function isZombie(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'Z' || state === 'X';
  } catch {
    return false;
  }
}

/** What a live lock holder runs (its process title, e.g. `sluice a1 channel:c1`), if readable. */
function commandOf(pid: number): string | undefined {
  try {
    const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+$/, '').replace(/\0/g, ' ').trim();
    return cmd === '' ? undefined : cmd.length > 120 ? `${cmd.slice(0, 117)}...` : cmd;
  } catch {
    return undefined;
  }
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockOwner>;
    if (typeof v.pid === 'number' && Number.isInteger(v.pid) && v.pid > 0) {
      return { pid: v.pid, start: typeof v.start === 'string' ? v.start : null, host: String(v.host ?? '') };
    }
  } catch {
    // not JSON: a damaged lock file
  }
  return undefined;
}

/** Why an owner no longer holds its lock, or undefined while it does. */
function staleReason(owner: LockOwner, file: string): string | undefined {
  if (owner.host !== '' && owner.host !== os.hostname()) return undefined; // cannot check: assume live
  if (owner.pid === process.pid) {
    return held.has(file) ? undefined : 'left by an earlier instance in this process';
  }
  if (!isAlive(owner.pid)) return `process ${owner.pid} is gone`;
  if (isZombie(owner.pid)) return `process ${owner.pid} has exited (not yet reaped)`;
  const start = processStartTime(owner.pid);
  if (owner.start !== null && start !== null && start !== owner.start) {
    return `pid ${owner.pid} now belongs to another process (start time ${start}, lock says ${owner.start})`;
  }
  return undefined;
}

function lockedError(dir: string, owner: LockOwner): SluiceError {
  const remote = owner.host !== '' && owner.host !== os.hostname();
  const command = remote ? undefined : commandOf(owner.pid);
  const who = `process ${owner.pid}${remote ? ` on host ${owner.host}` : ''}${command ? ` (${command})` : ''}`;
  return new SluiceError(
    'SLUICE_ERR_LOCKED',
    `directory ${dir} is locked by ${who} (${path.join(dir, LOCK_FILE)}); another agent or channel uses it`,
  );
}

function setupError(dir: string, err: unknown): SluiceError {
  return fileError('setup', `cannot lock directory ${dir}: ${(err as Error).message}`, err);
}

/** An exclusive lock on a directory, held through `in_use.lock`. */
export class DirLock {
  private released = false;

  private constructor(
    readonly dir: string,
    private readonly file: string,
    private readonly content: string,
  ) {}

  /**
   * Takes the lock of `dir`. A lock whose holder is alive (same pid and start time) fails with
   * SLUICE_ERR_LOCKED naming the pid; a stale one (process gone, pid reused, or left by an
   * abandoned store in this process) is taken over with a warning.
   */
  static acquire(dir: string, logger: Logger): DirLock {
    const file = path.join(dir, LOCK_FILE);
    const owner: LockOwner = { pid: process.pid, start: processStartTime(process.pid), host: os.hostname() };
    const content = JSON.stringify(owner);
    if (held.has(file)) throw lockedError(dir, owner);
    const tmp = path.join(dir, `${LOCK_FILE}.${process.pid}.${Math.random().toString(36).slice(2)}`);
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        fs.writeFileSync(tmp, content, { flag: 'wx' });
      } catch (err) {
        throw setupError(dir, err);
      }
      try {
        fs.linkSync(tmp, file); // atomic: fails if a lock file exists
        fs.rmSync(tmp, { force: true });
        held.add(file);
        return new DirLock(dir, file, content);
      } catch (err) {
        fs.rmSync(tmp, { force: true });
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw setupError(dir, err);
      }
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // released meanwhile
        throw setupError(dir, err);
      }
      const current = parseOwner(text);
      const reason = current === undefined ? 'the lock file is unreadable' : staleReason(current, file);
      if (reason === undefined) throw lockedError(dir, current!);
      // Stale: move it aside, and make sure what we moved is what we judged (not a fresh lock).
      const aside = `${file}.stale.${process.pid}`;
      try {
        fs.renameSync(file, aside);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw setupError(dir, err);
      }
      const moved = fs.readFileSync(aside, 'utf8');
      if (moved !== text) {
        try {
          fs.linkSync(aside, file); // someone else's fresh lock: put it back
        } catch {
          // a third party took the lock meanwhile; the next attempt sees it
        }
        fs.rmSync(aside, { force: true });
        continue;
      }
      fs.rmSync(aside, { force: true });
      logger.warn({ dir, stalePid: current?.pid, reason }, 'Took over a stale lock.');
    }
    throw fileError('setup', `cannot lock directory ${dir}: the lock keeps changing hands`);
  }

  /** Removes the lock file if it is still ours. Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    held.delete(this.file);
    try {
      if (fs.readFileSync(this.file, 'utf8') === this.content) fs.rmSync(this.file, { force: true });
    } catch {
      // already gone
    }
  }

  /** Forgets the lock without removing its file, as a killed process would (tests). */
  abandon(): void {
    this.released = true;
    held.delete(this.file);
  }
}
