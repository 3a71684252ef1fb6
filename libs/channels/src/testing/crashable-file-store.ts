import { FileChannelStore } from '../file/file-store.js';

/** A file store that tests can stop as a kill -9 would, in-process. */
export class CrashableFileStore extends FileChannelStore {
  /**
   * Stops as a kill -9 would. Nothing more is written (queued records are dropped, pending
   * commits and acks never settle), no checkpoint, lock files stay behind. Resolves once I/O
   * already in flight has finished and the files are closed.
   */
  async simulateCrash(): Promise<void> {
    this.phase = 'closed';
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await Promise.all(this.dirs.map((d) => d.writer.kill()));
    await Promise.allSettled([...this.loading.values()]);
    await this.checkpointing?.catch(() => undefined);
    for (const s of this.segments.values()) s.close();
    for (const l of this.locks) l.abandon();
    this.locks = [];
    this.counters.set('Open', 0);
  }
}
