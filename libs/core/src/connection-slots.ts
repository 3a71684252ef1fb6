import { readFileSync } from 'node:fs';
import type { Logger } from './logger.js';

/** File descriptors kept for everything else a worker opens (its sockets to peers, files, pipes). */
const FD_RESERVE = 100;

/** This process's soft limit on open files (Linux); undefined where it cannot be read. */
export function openFileLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** What ConnectionSlots needs of a connection. */
export interface SlotHolder {
  /**
   * When the peer last sent a byte or was last answered (ms epoch); undefined while one of its
   * requests is being served.
   */
  readonly quietSince: number | undefined;
  /** Closes the connection at once. */
  destroy(): void;
}

/** What `admit` did to make room: nothing needed, closed an idle connection, or none could go. */
export type Admission = 'room' | 'evicted' | 'refused';

/**
 * The open connections of a listening source, at most `limit` of them. A connection past the
 * limit takes the place of the one quiet longest (idle, or holding a partial request it stopped
 * sending), so idle clients or an attacker's thousands of held sockets cannot lock out a working
 * one; a connection whose request is being served is never closed, and when every one is, the new
 * one is refused. The limit is also kept FD_RESERVE below the process's file descriptor limit, so
 * that connections never take the descriptors the worker needs for anything else. Reaching the
 * limit and falling below it again are each logged once.
 */
export class ConnectionSlots<C extends SlotHolder> implements Iterable<C> {
  private readonly open = new Set<C>();
  private full = false;
  private fdLimit = openFileLimit();

  constructor(
    private readonly limit: number,
    private readonly log: Logger,
  ) {}

  get size(): number {
    return this.open.size;
  }

  /** Makes room for one more connection, closing the one quiet longest if need be. */
  admit(): Admission {
    const limit = this.effectiveLimit();
    if (this.open.size < limit) {
      if (this.full) this.log.info({ maxConnections: limit }, 'Connections are below maxConnections again.');
      this.full = false;
      return 'room';
    }
    if (!this.full) {
      this.log.warn(
        { maxConnections: limit, configured: this.limit, openFileLimit: this.fdLimit },
        'maxConnections reached: the connection quiet longest makes way for a new one; a new one is refused while every one is being served.',
      );
    }
    this.full = true;
    // Past the limit by more than one (the file descriptor limit was lowered): close the quietest
    // until there is room, as long as any is quiet.
    while (this.open.size > limit && this.evictQuietest()) {
      /* one closed per turn */
    }
    return this.evictQuietest() ? 'evicted' : 'refused';
  }

  /**
   * The configured limit, or less when the file descriptor limit leaves less room. The limit is
   * read at each admission (about 20 µs), so one lowered with prlimit holds from the next
   * connection on; when it cannot be read (EMFILE), the last figure stands.
   */
  private effectiveLimit(): number {
    this.fdLimit = openFileLimit() ?? this.fdLimit;
    return this.fdLimit === undefined ? this.limit : Math.max(1, Math.min(this.limit, this.fdLimit - FD_RESERVE));
  }

  private evictQuietest(): boolean {
    let oldest: C | undefined;
    for (const c of this.open) {
      if (c.quietSince !== undefined && (oldest === undefined || c.quietSince < oldest.quietSince!)) oldest = c;
    }
    if (oldest === undefined) return false;
    this.open.delete(oldest);
    oldest.destroy();
    return true;
  }

  add(connection: C): void {
    this.open.add(connection);
  }

  delete(connection: C): void {
    this.open.delete(connection);
  }

  [Symbol.iterator](): Iterator<C> {
    return this.open[Symbol.iterator]();
  }
}
