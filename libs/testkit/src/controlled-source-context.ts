import { Counters, SOURCE_COUNTERS, type Emit, type EmitBatch, type EmitOptions, type SluiceEvent, type SourceContext } from '@sluice/core';
import { memoryLogger, type LogRecord } from './memory-logger.js';

/** One emit call as the source made it, and what the test answered. */
export interface RecordedEmit {
  readonly events: readonly SluiceEvent[];
  readonly options: EmitOptions | undefined;
  /** `pending` until the test resolves or rejects it (or the context answers it at once). */
  readonly state: 'pending' | 'resolved' | 'rejected';
}

interface Entry extends RecordedEmit {
  state: 'pending' | 'resolved' | 'rejected';
  settle: (error?: Error) => void;
}

/**
 * A source context whose runtime side the test drives. Every emit (and emitBatch, recorded as its
 * events) is kept in call order; it stays pending until the test resolves or rejects it, unless
 * `autoResolve` is set, in which case it resolves on a later microtask, in call order, as a
 * channel that always has room would commit it. `writable()` is true while fewer than `window`
 * emits are pending (the runtime's window of outstanding commits); `whenWritable()` resolves once
 * it is. Counts nothing: the runtime's emitter keeps Flume's source counters.
 */
export class ControlledSourceContext implements SourceContext {
  readonly agent = 'a1';
  readonly dataDir = '/nonexistent';
  readonly logger: SourceContext['logger'];
  /** What the source logged. */
  readonly records: LogRecord[];
  readonly counters = new Counters(SOURCE_COUNTERS);
  /** What the source told `retrying`, in order. */
  readonly retryingCalls: (string | undefined)[] = [];
  /** How many times the source asked `whenWritable()` while not writable. */
  waitsForWritable = 0;
  private readonly entries: Entry[] = [];
  private auto = false;
  private windowSize = Number.POSITIVE_INFINITY;
  private writableWaiters: (() => void)[] = [];

  constructor(readonly name = 'r1') {
    const { logger, records } = memoryLogger();
    this.logger = logger;
    this.records = records;
  }

  /** Every emit so far, in call order. */
  get emits(): readonly RecordedEmit[] {
    return this.entries;
  }

  /** Emits currently pending. */
  get pending(): number {
    return this.entries.filter((e) => e.state === 'pending').length;
  }

  /** The bodies of every emit so far, in call order, settled or not. */
  bodies(): string[] {
    return this.entries.flatMap((e) => e.events.map((ev) => ev.body.toString('utf8')));
  }

  /** True while emits resolve by themselves; false (the default) while they wait for the test. */
  get autoResolve(): boolean {
    return this.auto;
  }

  /** Setting it true also resolves the emits pending. */
  set autoResolve(on: boolean) {
    this.auto = on;
    if (on) this.resolveAll();
  }

  /** `writable()` is false while this many emits are pending; Infinity by default. */
  get window(): number {
    return this.windowSize;
  }

  set window(size: number) {
    this.windowSize = size;
    this.wakeWritable();
  }

  /** Resolves the oldest pending emit; false when none is pending. */
  resolveNext(): boolean {
    return this.settleNext(undefined);
  }

  /** Rejects the oldest pending emit with `error`; false when none is pending. */
  rejectNext(error: Error): boolean {
    return this.settleNext(error);
  }

  /** Resolves every pending emit, oldest first. */
  resolveAll(): void {
    while (this.resolveNext());
  }

  readonly emit: Emit = (events, options) => {
    let settle!: (error?: Error) => void;
    const settled = new Promise<void>((resolve, reject) => {
      settle = (error) => {
        entry.state = error === undefined ? 'resolved' : 'rejected';
        if (error === undefined) resolve();
        else reject(error);
        this.wakeWritable();
      };
    });
    const entry: Entry = { events: [...events], options, state: 'pending', settle };
    this.entries.push(entry);
    // As in the runtime, a batch is never committed within the emit call.
    if (this.auto) queueMicrotask(() => this.resolveAll());
    return settled;
  };

  readonly emitBatch: EmitBatch = (batch, options) => this.emit(batch.events(), options);

  readonly writable = (): boolean => this.pending < this.windowSize;

  readonly whenWritable = (): Promise<void> => {
    if (this.writable()) return Promise.resolve();
    this.waitsForWritable++;
    return new Promise((resolve) => this.writableWaiters.push(resolve));
  };

  readonly retrying = (reason: string | undefined): void => void this.retryingCalls.push(reason);

  private settleNext(error: Error | undefined): boolean {
    const entry = this.entries.find((e) => e.state === 'pending');
    if (entry === undefined) return false;
    entry.settle(error);
    return true;
  }

  private wakeWritable(): void {
    if (this.writable()) for (const w of this.writableWaiters.splice(0)) w();
  }
}
