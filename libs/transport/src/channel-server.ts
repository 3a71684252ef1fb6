import { Router } from 'zeromq';
import { SluiceError, type Logger, type Reply, type Request } from '@sluice/core';
import { decodeRequest, encodeMessage } from './codec.js';
import { SendQueue } from './send-queue.js';

/** Answers one request from the peer named by its routing id; must always resolve a reply. */
export type RequestHandler = (peer: string, request: Request) => Promise<Reply>;

/**
 * The channel side of the data plane: a ROUTER socket bound at `endpoint`. Requests are handled
 * concurrently (a TAKE that waits for events does not hold up the others); each reply is sent
 * to the peer that asked. A malformed message is logged and answered with ERROR when it names a tx.
 */
export class ChannelServer {
  private readonly socket = new Router({ linger: 0 });
  private readonly sends = new SendQueue(this.socket);
  private loop: Promise<void> | undefined;

  constructor(
    private readonly endpoint: string,
    private readonly handler: RequestHandler,
    private readonly logger: Logger,
  ) {}

  async bind(): Promise<void> {
    await this.socket.bind(this.endpoint);
    this.loop = this.receive();
  }

  /** The endpoint actually bound (a `tcp://host:*` endpoint resolves to its port). */
  get boundEndpoint(): string {
    return this.socket.lastEndpoint ?? this.endpoint;
  }

  private async receive(): Promise<void> {
    for await (const [id, ...frames] of this.socket) {
      const peer = id!.toString();
      let request: Request;
      try {
        request = decodeRequest(frames);
      } catch (err) {
        this.logger.warn({ err, peer }, 'Dropped a malformed data-plane message.');
        continue;
      }
      this.handler(peer, request).then(
        (reply) => this.reply(id!, reply),
        (err: unknown) => {
          const e = err instanceof SluiceError ? err : new SluiceError('SLUICE_ERR_PROTOCOL', String(err), { cause: err });
          this.logger.error({ err, peer, tx: request.tx, request: request.type }, 'Request failed.');
          return this.reply(id!, { type: 'ERROR', tx: request.tx, code: e.code, retriable: e.retriable, message: e.message });
        },
      );
    }
  }

  private async reply(id: Buffer, reply: Reply): Promise<void> {
    try {
      await this.sends.send([id, ...encodeMessage(reply)]);
    } catch (err) {
      if (!this.socket.closed) this.logger.warn({ err, tx: reply.tx }, 'Could not send a reply.');
    }
  }

  async close(): Promise<void> {
    this.socket.close();
    await this.loop?.catch(() => undefined);
  }
}
