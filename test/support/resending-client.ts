import { Socket } from 'node:net';

/**
 * A netcat-source client that never loses a line: it sends lines, counts the `OK` answers, and
 * after a broken connection reconnects and re-sends every line it has no OK for.
 */
export class ResendingClient {
  private acked = 0;
  private socket: Socket | undefined;
  private closed = false;
  reconnects = 0;

  constructor(
    private readonly port: number,
    private readonly lines: readonly string[],
  ) {}

  get confirmed(): number {
    return this.acked;
  }

  /** Sends every line, in windows of `window` unacknowledged lines; resolves when all are OK. */
  async run(window = 200, deadlineMs = 60_000): Promise<void> {
    const until = Date.now() + deadlineMs;
    while (this.acked < this.lines.length) {
      if (this.closed) throw new Error(`closed with ${this.acked} of ${this.lines.length} lines confirmed`);
      if (Date.now() > until) throw new Error(`only ${this.acked} of ${this.lines.length} lines confirmed`);
      await this.session(window, until).catch(() => undefined);
      if (this.acked < this.lines.length) {
        this.reconnects++;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** One connection, cut at the run's deadline so a peer that never answers cannot hang the test. */
  private session(window: number, until: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const socket = new Socket();
      this.socket = socket;
      const deadline = setTimeout(() => socket.destroy(), Math.max(0, until - Date.now()));
      socket.on('close', () => clearTimeout(deadline));
      let sent = this.acked;
      let pending = '';
      const pump = () => {
        const chunk: string[] = [];
        while (sent < this.lines.length && sent - this.acked < window) chunk.push(this.lines[sent++]!);
        if (chunk.length > 0) socket.write(chunk.join('\n') + '\n');
      };
      socket.on('connect', pump);
      socket.on('data', (d: Buffer) => {
        pending += d.toString();
        let i;
        while ((i = pending.indexOf('\n')) >= 0) {
          const answer = pending.slice(0, i);
          pending = pending.slice(i + 1);
          if (answer !== 'OK') {
            socket.destroy();
            reject(new Error(`source answered ${answer}`));
            return;
          }
          this.acked++;
        }
        if (this.acked >= this.lines.length) {
          socket.end();
          resolve();
        } else pump();
      });
      socket.on('error', reject);
      socket.on('close', () => reject(new Error('connection closed')));
      socket.connect(this.port, '127.0.0.1');
    });
  }

  /** Stops `run` (it rejects) and drops the connection. */
  close(): void {
    this.closed = true;
    this.socket?.destroy();
  }
}
