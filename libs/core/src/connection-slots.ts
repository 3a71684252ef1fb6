import type { Logger } from './logger.js';

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
 * one is refused. Reaching the limit and falling below it again are each logged once.
 */
export class ConnectionSlots<C extends SlotHolder> implements Iterable<C> {
  private readonly open = new Set<C>();
  private full = false;

  constructor(
    private readonly limit: number,
    private readonly log: Logger,
  ) {}

  get size(): number {
    return this.open.size;
  }

  /** Makes room for one more connection, closing the one quiet longest if need be. */
  admit(): Admission {
    if (this.open.size < this.limit) {
      if (this.full) this.log.info({ maxConnections: this.limit }, 'Connections are below maxConnections again.');
      this.full = false;
      return 'room';
    }
    if (!this.full) {
      this.log.warn(
        { maxConnections: this.limit },
        'maxConnections reached: the connection quiet longest makes way for a new one; a new one is refused while every one is being served.',
      );
    }
    this.full = true;
    let oldest: C | undefined;
    for (const c of this.open) {
      if (c.quietSince !== undefined && (oldest === undefined || c.quietSince < oldest.quietSince!)) oldest = c;
    }
    if (oldest === undefined) return 'refused';
    this.open.delete(oldest);
    oldest.destroy();
    return 'evicted';
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
