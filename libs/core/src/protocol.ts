/**
 * The data-plane messages between source/sink workers and a channel worker (DESIGN §3). Every
 * request carries a transaction id chosen by the sender and gets exactly one reply with the same
 * id. The transport lib carries these over ZeroMQ; the channel service answers them.
 */
export type Request =
  /** Stage a batch; with `commit` it is also committed (one round trip). `epoch` orders retries after FULL. */
  | { readonly type: 'PUT'; readonly tx: string; readonly commit: boolean; readonly epoch: number; readonly batch: Buffer }
  | { readonly type: 'COMMIT'; readonly tx: string }
  | { readonly type: 'ROLLBACK'; readonly tx: string }
  /** Lease up to `max` events; wait up to `waitMs` for some to arrive before answering an empty batch. */
  | { readonly type: 'TAKE'; readonly tx: string; readonly max: number; readonly waitMs: number }
  | { readonly type: 'ACK'; readonly tx: string }
  | { readonly type: 'NACK'; readonly tx: string }
  /** Extends a lease while its sink is still delivering. */
  | { readonly type: 'RENEW'; readonly tx: string };

export type Reply =
  | { readonly type: 'PUT_OK'; readonly tx: string }
  | { readonly type: 'COMMITTED'; readonly tx: string }
  | { readonly type: 'FULL'; readonly tx: string; readonly retryAfterMs: number }
  | { readonly type: 'ROLLED_BACK'; readonly tx: string }
  | { readonly type: 'BATCH'; readonly tx: string; readonly count: number; readonly batch: Buffer }
  | { readonly type: 'ACKED'; readonly tx: string }
  | { readonly type: 'NACKED'; readonly tx: string }
  | { readonly type: 'RENEWED'; readonly tx: string }
  | { readonly type: 'UNKNOWN_TX'; readonly tx: string }
  | { readonly type: 'LEASE_EXPIRED'; readonly tx: string }
  | { readonly type: 'ERROR'; readonly tx: string; readonly code: string; readonly retriable: boolean; readonly message: string };

export type RequestType = Request['type'];
export type ReplyType = Reply['type'];
