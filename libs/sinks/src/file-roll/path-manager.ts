/** Flume's file_roll path managers: how the next output file is named. */
export type PathManagerKind = 'default' | 'rolltime';

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** `yyyyMMddHHmmss` in local time, as Joda's formatter prints a LocalDateTime. */
export function rollTimeStamp(d: Date): string {
  return (
    pad(d.getFullYear(), 4) + pad(d.getMonth() + 1) + pad(d.getDate()) + pad(d.getHours()) + pad(d.getMinutes()) + pad(d.getSeconds())
  );
}

/**
 * Names files as Flume does. `default`: `<prefix><seriesStartEpochMs>-<n>[.<ext>]`, where the
 * series starts when the sink is created and n counts from 1. `rolltime`:
 * `<prefix><yyyyMMddHHmmss>-<n>[.<ext>]`, n restarting at 1 when the second changes.
 */
export class PathManager {
  private readonly seriesTimestamp: number;
  private index = 0;
  private lastStamp = '';

  constructor(
    private readonly kind: PathManagerKind,
    private readonly prefix: string,
    private readonly extension: string,
    private readonly now: () => number = Date.now,
  ) {
    this.seriesTimestamp = now();
  }

  /** The next file name (no directory). */
  next(): string {
    let stamp: string;
    if (this.kind === 'rolltime') {
      stamp = rollTimeStamp(new Date(this.now()));
      if (stamp !== this.lastStamp) {
        this.index = 0;
        this.lastStamp = stamp;
      }
    } else {
      stamp = String(this.seriesTimestamp);
    }
    this.index++;
    return `${this.prefix}${stamp}-${this.index}${this.extension === '' ? '' : `.${this.extension}`}`;
  }
}
