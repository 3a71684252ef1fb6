import type { Socket } from 'zeromq';

/**
 * zeromq v6 allows one pending send per socket: this serialises sends in call order. It holds
 * at most one message per in-flight transaction of the socket's peers, so it stays small.
 */
export class SendQueue {
  private tail: Promise<void> = Promise.resolve();

  constructor(private readonly socket: Socket & { send(msg: Buffer[]): Promise<void> }) {}

  send(frames: Buffer[]): Promise<void> {
    const next = this.tail.then(() => this.socket.send(frames));
    this.tail = next.catch(() => undefined);
    return next;
  }
}
