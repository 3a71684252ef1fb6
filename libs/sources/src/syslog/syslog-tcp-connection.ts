import type { Socket } from 'node:net';
import type { Logger, SluiceEvent, SourceContext } from '@sluice/core';
import type { RateLimitedWarn } from '@sluice/core';
import { SyslogFramer, type SyslogFrame } from './syslog-framer.js';

/** Most batches of one connection emitted and not yet committed; past it the socket is not read. */
export const CONNECTION_EMIT_WINDOW = 4;

export interface SyslogTcpConnectionOptions {
  readonly eventSize: number;
  readonly batchSize: number;
  /** Builds a message's event (parsing, client headers). */
  readonly toEvent: (frame: SyslogFrame) => SluiceEvent;
  /** Resolves once the connection may be read (its client headers are known). */
  readonly ready: Promise<void>;
  readonly ctx: Pick<SourceContext, 'emit' | 'writable' | 'whenWritable'>;
  /** Warns about batches the channels refused, once a minute per source. */
  readonly refused: RateLimitedWarn;
  readonly logger: Logger;
}

/**
 * One syslog client over TCP. Syslog has no application acknowledgement, so the only
 * back-pressure is TCP's: the socket is read only while fewer than CONNECTION_EMIT_WINDOW of
 * its batches are uncommitted and the runtime is writable; a full channel thus slows the sender,
 * and the connection never holds more than that window plus one partial message. Messages of a
 * read are emitted in batches of at most `batchSize`, in order. A message still in progress
 * when the client closes is emitted too.
 */
export class SyslogTcpConnection {
  private readonly framer: SyslogFramer;
  private pendingEmits = 0;
  private waitingWritable = false;
  private stopped = false;
  private lastActive = Date.now();
  readonly closed: Promise<void>;

  constructor(
    private readonly socket: Socket,
    private readonly opts: SyslogTcpConnectionOptions,
  ) {
    this.framer = new SyslogFramer(opts.eventSize);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.pause();
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => {
      this.emitFrames(this.framer.end());
      socket.end();
    });
    socket.on('error', (err) => opts.logger.debug({ err }, 'connection error'));
    void opts.ready.then(() => this.maybeResume());
  }

  /** See SlotHolder: undefined while a batch of this connection is being committed. */
  get quietSince(): number | undefined {
    return this.pendingEmits > 0 ? undefined : this.lastActive;
  }

  /** Closes the connection at once; what its client sent after the last emitted message is lost, as with any syslog receiver. */
  destroy(): void {
    this.stopped = true;
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.socket.pause();
    this.lastActive = Date.now();
    this.emitFrames(this.framer.push(chunk));
    this.maybeResume();
  }

  private emitFrames(frames: readonly SyslogFrame[]): void {
    for (let from = 0; from < frames.length; from += this.opts.batchSize) {
      const events = frames.slice(from, from + this.opts.batchSize).map(this.opts.toEvent);
      this.pendingEmits++;
      this.opts.ctx.emit(events).then(
        () => this.settled(),
        (err: unknown) => {
          const report = this.opts.refused.report('refused');
          const fields = { err, events: events.length };
          if (report.level === 'warn') {
            this.opts.logger.warn({ ...fields, suppressed: report.suppressed }, 'The channels refused a batch of syslog messages; it is lost.');
          } else {
            this.opts.logger.debug(fields, 'The channels refused a batch of syslog messages; it is lost.');
          }
          this.settled();
        },
      );
    }
  }

  private settled(): void {
    this.pendingEmits--;
    this.lastActive = Date.now();
    this.maybeResume();
  }

  private maybeResume(): void {
    if (this.stopped || this.socket.destroyed || this.pendingEmits >= CONNECTION_EMIT_WINDOW) return;
    if (!this.opts.ctx.writable()) {
      if (!this.waitingWritable) {
        this.waitingWritable = true;
        void this.opts.ctx.whenWritable().then(() => {
          this.waitingWritable = false;
          this.maybeResume();
        });
      }
      return;
    }
    this.socket.resume();
  }
}
