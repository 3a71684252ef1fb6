/**
 * The data-plane messages between source/sink workers and a channel worker (DESIGN §3). Every
 * request carries a transaction id chosen by the sender and gets exactly one reply with the same
 * id. The transport lib carries these over ZeroMQ; the channel service answers them.
 */
export type Request =
  /**
   * Stage a batch; with `commit` it is also committed (one round trip). `epoch` orders retries after
   * FULL. `wait`: the most milliseconds the sender lets a full channel hold the commit waiting for
   * room before answering FULL (the channel's keep-alive caps it; absent: the keep-alive).
   */
  | { readonly type: 'PUT'; readonly tx: string; readonly commit: boolean; readonly epoch: number; readonly batch: Buffer; readonly wait?: number }
  | { readonly type: 'COMMIT'; readonly tx: string }
  | { readonly type: 'ROLLBACK'; readonly tx: string }
  /**
   * Lease up to `max` events; wait up to `waitMs` for some to arrive before answering an empty batch.
   * `ack` names a delivered batch to acknowledge with it (the sink's ACK riding on its next TAKE, one
   * message instead of two); its outcome comes back in the reply's `ack`.
   */
  | { readonly type: 'TAKE'; readonly tx: string; readonly max: number; readonly waitMs: number; readonly ack?: string }
  | { readonly type: 'ACK'; readonly tx: string }
  | { readonly type: 'NACK'; readonly tx: string }
  /** Extends a lease while its sink is still delivering. */
  | { readonly type: 'RENEW'; readonly tx: string };

export type Reply =
  | { readonly type: 'PUT_OK'; readonly tx: string }
  | { readonly type: 'COMMITTED'; readonly tx: string }
  | { readonly type: 'FULL'; readonly tx: string; readonly retryAfterMs: number }
  | { readonly type: 'ROLLED_BACK'; readonly tx: string }
  /** `ack`: the outcome of the ACK the TAKE carried (durable, as a separate ACK's would be). */
  | { readonly type: 'BATCH'; readonly tx: string; readonly count: number; readonly batch: Buffer; readonly ack?: AckReply }
  | { readonly type: 'ACKED'; readonly tx: string }
  | { readonly type: 'NACKED'; readonly tx: string }
  | { readonly type: 'RENEWED'; readonly tx: string }
  | { readonly type: 'UNKNOWN_TX'; readonly tx: string }
  | { readonly type: 'LEASE_EXPIRED'; readonly tx: string }
  | { readonly type: 'ERROR'; readonly tx: string; readonly code: string; readonly retriable: boolean; readonly message: string };

/** What an ACK is answered with. */
export type AckReply = Extract<Reply, { type: 'ACKED' | 'LEASE_EXPIRED' | 'ERROR' }>;

export type RequestType = Request['type'];
export type ReplyType = Reply['type'];
