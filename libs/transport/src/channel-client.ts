import { Dealer } from 'zeromq';
import { SluiceError, type Logger, type Reply, type Request } from '@sluice/core';
import { decodeReply, encodeMessage } from './codec.js';
import { SendQueue } from './send-queue.js';

interface Pending {
  resolve(reply: Reply): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * The worker side of the data plane: a DEALER connected to one channel. `request` sends and
 * resolves the reply with the same tx. A timeout rejects with a retriable SLUICE_ERR_TIMEOUT:
 * the outcome is unknown and the caller re-sends the same tx (the channel answers duplicates
 * idempotently). ZeroMQ reconnects by itself when a restarted channel binds again.
 */
export class ChannelClient {
  private readonly socket: Dealer;
  private readonly sends: SendQueue;
  private readonly pending = new Map<string, Pending>();
  private loop: Promise<void> | undefined;

  constructor(
    private readonly endpoint: string,
    routingId: string,
    private readonly logger: Logger,
  ) {
    this.socket = new Dealer({ routingId, linger: 0, reconnectInterval: 50, reconnectMaxInterval: 1000 });
    this.sends = new SendQueue(this.socket);
  }

  connect(): void {
    this.socket.connect(this.endpoint);
    this.loop = this.receive();
  }

  private async receive(): Promise<void> {
    for await (const frames of this.socket) {
      let reply: Reply;
      try {
        reply = decodeReply(frames);
      } catch (err) {
        this.logger.warn({ err }, 'Dropped a malformed reply from the channel.');
        continue;
      }
      const p = this.pending.get(reply.tx);
      if (!p) {
        this.logger.debug({ tx: reply.tx, reply: reply.type }, 'Late reply for a transaction no longer awaited.');
        continue;
      }
      this.pending.delete(reply.tx);
      clearTimeout(p.timer);
      p.resolve(reply);
    }
  }

  /** Sends one request; re-sending a tx still pending rejects the earlier wait. */
  request(request: Request, timeoutMs: number): Promise<Reply> {
    return new Promise<Reply>((resolve, reject) => {
      const earlier = this.pending.get(request.tx);
      if (earlier) {
        clearTimeout(earlier.timer);
        earlier.reject(new SluiceError('SLUICE_ERR_PROTOCOL', `${request.tx} was re-sent before its answer came`, { retriable: true }));
      }
      const timer = setTimeout(() => {
        this.pending.delete(request.tx);
        reject(new SluiceError('SLUICE_ERR_TIMEOUT', `no answer to ${request.type} ${request.tx} within ${timeoutMs} ms`, { retriable: true }));
      }, timeoutMs);
      this.pending.set(request.tx, { resolve, reject, timer });
      this.sends.send(encodeMessage(request)).catch((err: unknown) => {
        if (this.pending.get(request.tx)?.timer !== timer) return;
        this.pending.delete(request.tx);
        clearTimeout(timer);
        reject(new SluiceError('SLUICE_ERR_PROTOCOL', `could not send ${request.type}`, { retriable: true, cause: err }));
      });
    });
  }

  /**
   * The channel restarted: whatever it had not answered is lost with it. Fails every pending
   * request at once with a retriable SLUICE_ERR_TIMEOUT, so callers re-send (same tx) now instead
   * of after their timeout.
   */
  abandonPending(reason: string): number {
    const pending = [...this.pending];
    this.pending.clear();
    for (const [tx, p] of pending) {
      clearTimeout(p.timer);
      p.reject(new SluiceError('SLUICE_ERR_TIMEOUT', `${tx}: ${reason}`, { retriable: true }));
    }
    return pending.length;
  }

  async close(): Promise<void> {
    for (const [tx, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new SluiceError('SLUICE_ERR_STOPPED', `channel client closed with ${tx} pending`, { retriable: true }));
    }
    this.pending.clear();
    this.socket.close();
    await this.loop?.catch(() => undefined);
  }
}
