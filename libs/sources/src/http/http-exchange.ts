import type { IncomingMessage, ServerResponse } from 'node:http';

/** What an answer carries besides its status. */
export interface AnswerOptions {
  /** A short sentence for the client, sent as text/plain; none for a 200. */
  readonly reason?: string;
  /** Close the connection once answered (the body was not read to its end, or the source is stopping). */
  readonly close?: boolean;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * One request and its response, answered at most once. `bytes` are the body bytes it holds
 * against the source's buffer bound; `emitting` is true while its batch is being committed.
 */
export class HttpExchange {
  bytes = 0;
  emitting = false;
  /** Resolves once the response is over: sent, or its connection gone. */
  readonly done: Promise<void>;
  private answeredFlag = false;
  private settledWaiters: (() => void)[] = [];

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
  ) {
    this.done = new Promise((resolve) => res.once('close', () => resolve()));
  }

  get answered(): boolean {
    return this.answeredFlag;
  }

  /** Sends the status (once: later calls do nothing). */
  answer(status: number, options: AnswerOptions = {}): void {
    if (this.answeredFlag) return;
    this.answeredFlag = true;
    if (this.res.destroyed || this.res.headersSent) return;
    const body = options.reason === undefined ? '' : `${options.reason}\n`;
    const headers: Record<string, string | number> = {
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
      ...options.headers,
    };
    if (options.close === true) headers['Connection'] = 'close';
    this.res.writeHead(status, headers);
    this.res.end(body);
  }

  /** Called once the emit of this request settled, whatever it answered. */
  settled(): void {
    this.emitting = false;
    for (const w of this.settledWaiters.splice(0)) w();
  }

  /**
   * For a stopping source: a request whose batch is being committed is given up to `graceMs` to
   * be answered by its commit; any other is answered `status` at once. Resolves once its response is over.
   */
  async stop(graceMs: number, status: number, reason: string): Promise<void> {
    if (this.emitting) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.settledWaiters.push(resolve)),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs))),
      ]);
      clearTimeout(timer);
    }
    this.answer(status, { reason, close: true, headers: { 'Retry-After': '1' } });
    await this.done;
  }
}
