import * as fs from 'node:fs';

const RECHECK_MS = 1000;

/** Free bytes for unprivileged writers on the file system holding `dir` (statfs). */
export function statfsFree(dir: string): number {
  const s = fs.statfsSync(dir);
  return s.bavail * s.bsize;
}

/**
 * Free space of the file system holding a directory, checked with statfs at most once a second
 * while comfortably above the minimum (bytes written since are subtracted), and on every call
 * once close to it: cheap enough for every commit.
 */
export class DiskSpace {
  private free = Number.POSITIVE_INFINITY;
  private checkedAt = Number.NEGATIVE_INFINITY;
  private writtenSince = 0;

  constructor(
    readonly dir: string,
    readonly minimum: number,
    /** Measures the free bytes of `dir`'s file system; a throw means "cannot tell". */
    private readonly probe: (dir: string) => number = statfsFree,
  ) {}

  /** True when writing `bytes` more would leave less than the minimum free (never with a minimum of 0). */
  wouldFallBelow(bytes: number): boolean {
    if (this.minimum <= 0) return false;
    const now = Date.now();
    if (now - this.checkedAt > RECHECK_MS || this.estimate() - bytes < this.minimum) this.refresh(now);
    return this.estimate() - bytes < this.minimum;
  }

  /** True when at least `bytes` are free (measured at most once a second). */
  hasAtLeast(bytes: number): boolean {
    const now = Date.now();
    if (now - this.checkedAt > RECHECK_MS) this.refresh(now);
    return this.estimate() >= bytes;
  }

  /** Records bytes written since the last check. */
  wrote(bytes: number): void {
    this.writtenSince += bytes;
  }

  /** The last measured free bytes (minus what was written since). */
  estimate(): number {
    return this.free - this.writtenSince;
  }

  private refresh(now: number): void {
    try {
      this.free = this.probe(this.dir);
    } catch {
      this.free = Number.POSITIVE_INFINITY; // cannot tell: let the write itself report ENOSPC
    }
    this.writtenSince = 0;
    this.checkedAt = now;
  }
}
