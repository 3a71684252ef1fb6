import type { Socket } from 'node:net';
import type { Counters, Emit, Logger, SluiceEvent } from '@sluice/core';
import { NetcatLines, type NetcatItem } from './netcat-lines.js';

export interface NetcatConnectionOptions {
  readonly maxLineLength: number;
  readonly utf8: boolean;
  readonly ackEveryEvent: boolean;
  readonly batchSize: number;
  readonly emit: Emit;
  /** The source's counters: a connection counts only the over-long lines it refuses (EventReadFail). */
  readonly counters: Counters;
  readonly logger: Logger;
}

type Outcome = { kind: 'committed' } | { kind: 'failed'; message: string };

/**
 * One client connection. Each read is parsed into lines, emitted in batches of at most
 * `batchSize`, and answered in line order: `OK` once a line's batch is committed, `FAILED: ...`
 * for an over-long line or a batch the channels refused for good. While a batch is outstanding
 * (the runtime holds it while a channel is full) the socket is paused, so a client that outruns
 * the channel is slowed by TCP, never dropped.
 */
export class NetcatConnection {
  private readonly lines: NetcatLines;
  private busy = false;
  /** Settles when the read being answered is answered (or abandoned on a hard stop). */
  private answered: Promise<void> = Promise.resolve();
  private ended = false;
  private stopping = false;
  /** Over-long lines refused on this connection; the first is logged. */
  private tooLong = 0;
  /** When the client last sent a byte or was last answered. */
  private lastActive = Date.now();
  readonly closed: Promise<void>;

  constructor(
    private readonly socket: Socket,
    private readonly opts: NetcatConnectionOptions,
  ) {
    this.lines = new NetcatLines(opts.maxLineLength, opts.utf8);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => {
      this.ended = true;
      if (!this.busy) this.finish();
    });
    socket.on('error', (err) => opts.logger.debug({ err }, 'connection error'));
  }

  /**
   * Stops reading and retrying. Waits up to `graceMs` for the batch in progress to commit (its
   * lines are answered), then up to `graceMs` for the client to close, then disconnects. Lines
   * not answered `OK` by then were not acknowledged: the client resends them.
   */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    this.socket.pause();
    if (this.busy) await withTimeout(this.answered, graceMs);
    this.finish();
    await withTimeout(this.closed, graceMs);
    this.socket.destroy();
    await this.closed;
  }

  /** See SlotHolder: undefined while a read is being committed and answered. */
  get quietSince(): number | undefined {
    return this.busy ? undefined : this.lastActive;
  }

  /** Closes the connection at once (to make room for another); unanswered lines are resent by the client. */
  destroy(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.socket.pause();
    this.busy = true;
    this.lastActive = Date.now();
    const items = this.lines.push(chunk);
    this.answered = this.answer(items).then(
      () => {
        this.busy = false;
        this.lastActive = Date.now();
        if (this.stopping || this.ended) this.finish();
        // A client that does not read its OKs is not read either: they wait in our write
        // buffer only up to the socket's high-water mark.
        else if (this.socket.writableNeedDrain) this.socket.once('drain', () => this.socket.resume());
        else this.socket.resume();
      },
      (err: unknown) => {
        // A bug, not an input problem: surface it (crash-only worker).
        this.socket.destroy();
        throw err;
      },
    );
  }

  private async answer(items: NetcatItem[]): Promise<void> {
    let from = 0;
    // Stopping: the group being committed is still answered; no further group is emitted.
    while (from < items.length && !this.stopping) {
      // The items up to the batchSize-th line (and any over-long lines among them) form one group.
      const events: SluiceEvent[] = [];
      let to = from;
      while (to < items.length && (events.length < this.opts.batchSize || items[to]!.kind === 'too-long')) {
        const item = items[to++]!;
        if (item.kind === 'line') events.push({ headers: {}, body: item.body });
        else this.refuseTooLong();
      }
      const outcome: Outcome = events.length > 0 ? await this.commit(events) : { kind: 'committed' };
      this.reply(items.slice(from, to), outcome);
      from = to;
    }
  }

  private refuseTooLong(): void {
    this.opts.counters.inc('EventReadFail');
    if (this.tooLong++ === 0) {
      this.opts.logger.warn(
        { maxLineLength: this.opts.maxLineLength },
        'A line longer than max-line-length was refused; later ones on this connection are only counted.',
      );
    }
  }

  private async commit(events: SluiceEvent[]): Promise<Outcome> {
    try {
      await this.opts.emit(events);
    } catch (err) {
      this.opts.logger.warn({ err, events: events.length }, 'The channels refused a batch; replying FAILED.');
      return { kind: 'failed', message: err instanceof Error ? err.message : String(err) };
    }
    return { kind: 'committed' };
  }

  private reply(items: readonly NetcatItem[], outcome: Outcome): void {
    let text = '';
    for (const item of items) {
      if (item.kind === 'too-long') {
        text += `FAILED: Event exceeds the maximum length (${this.opts.maxLineLength} chars, including newline)\n`;
      } else if (outcome.kind === 'failed') {
        text += `FAILED: ${outcome.message}\n`;
      } else if (this.opts.ackEveryEvent) {
        text += 'OK\n';
      }
    }
    if (text !== '' && this.socket.writable) this.socket.write(text);
  }

  private finish(): void {
    const dropped = this.lines.discard();
    if (dropped > 0) this.opts.logger.debug({ bytes: dropped }, 'connection ended inside a line; discarded it');
    if (!this.socket.destroyed) this.socket.end();
  }
}

/** Resolves when `promise` settles or after `ms`, whichever comes first (never rejects). */
async function withTimeout(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  await Promise.race([promise.then(noop, noop), timeout]);
  clearTimeout(timer);
}

function noop(): void {}
