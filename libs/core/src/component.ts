import type { Batch } from './batch.js';
import type { BatchFraming } from './batch-codec.js';
import type { Counters } from './counters.js';
import type { SluiceEvent } from './event.js';
import type { Logger } from './logger.js';

/** What every component gets from the runtime: never a socket, never the supervisor. */
export interface ComponentContext {
  readonly agent: string;
  readonly name: string;
  readonly logger: Logger;
  readonly counters: Counters;
  /** The agent's data dir (positions, file channel data); created by the runtime. */
  readonly dataDir: string;
}

/** How the runtime treats one emit. */
export interface EmitOptions {
  /**
   * How long, from its first send, the batch may wait for room in a full required channel (held
   * there, then retried) before rejecting with a ChannelFullError. Default: no limit — the promise
   * stays pending, which is the back-pressure. Sources whose client can retry or fail over
   * elsewhere (avro, http) pass a short bound and answer FAILED / 503.
   */
  readonly fullWaitMs?: number;
  /**
   * The batch is one event received through a single-event call (Flume's `append`): the runtime
   * counts it in AppendReceivedCount / AppendAcceptedCount instead of the AppendBatch counters.
   */
  readonly single?: boolean;
}

/**
 * Hands events to the channels: runs the interceptors and the selector, then commits to every
 * required channel (best-effort to optional ones). Resolves when every required channel committed;
 * never before the channels made the batch durable.
 *
 * Ordering: batches emitted by one source are committed to each channel in the order emit was
 * called, FULL and retriable-error retries included. Each required channel commits on its own and
 * only a channel that has not committed is retried (the same transaction id, which the channel
 * answers idempotently): no batch is sent again to a channel that committed it.
 *
 * Rejects with a retriable ChannelFullError only past `fullWaitMs`, or with another SluiceError
 * (a channel that refuses the batch for good, or the worker stopping); a rejected emit is not
 * retried by the runtime. Any number of emits may be outstanding; `writable` tells when to emit more.
 *
 * Counted by the runtime (Flume's source counters): AppendBatchReceivedCount (AppendReceivedCount
 * when `single`) and EventReceivedCount on the call, AppendBatchAcceptedCount (AppendAcceptedCount)
 * and EventAcceptedCount on commit, ChannelWriteFail on rejection. A source counts none of these.
 */
export type Emit = (events: readonly SluiceEvent[], options?: EmitOptions) => Promise<void>;

/**
 * Like Emit, for a batch that arrived already encoded (the avro source): its bytes go to the
 * channels untouched when no interceptor and no per-event selector needs the events (no decode,
 * no re-encode); otherwise it is decoded and emitted as events. The same ordering, FULL and
 * counting rules.
 */
export type EmitBatch = (batch: Batch, options?: EmitOptions) => Promise<void>;

export interface SourceContext extends ComponentContext {
  readonly emit: Emit;
  readonly emitBatch: EmitBatch;
  /**
   * True while every required channel has room in the runtime's window of outstanding commits: a
   * batch emitted now is sent at once, or the moment a commit frees a slot (with a per-event
   * selector, every channel of the source counts). A source that reads at its own pace (exec, seq)
   * reads more only while writable; one driven by its clients (netcat, avro) needs not ask, as
   * each client waits for its answer.
   */
  readonly writable: () => boolean;
  /** Resolves once `writable()` is true (at once when it is), or once the worker stops; never rejects. */
  readonly whenWritable: () => Promise<void>;
  /**
   * Tells the runtime the source runs but cannot do its job yet and is retrying (its port is
   * busy): `reason` in a few words; undefined once it works again. The agent is not reported
   * ready while a source is retrying. A source that never calls it is ready once started.
   */
  readonly retrying: (reason: string | undefined) => void;
}

/**
 * A source produces events. The runtime calls `start` once, then `stop` once when the worker
 * stops; nothing else stops a source. `start` resolves once it is accepting input (port bound,
 * child spawned), or once it is retrying what it needs (a busy port) and has said so (`retrying`).
 */
export interface Source {
  start(): Promise<void>;
  /**
   * Stops producing; resolves once nothing more will be emitted. Emits already made may still be
   * pending: the runtime waits for their commits within its shutdown deadline.
   */
  stop(): Promise<void>;
}

/**
 * The tri-state outcome of a delivery: ok → ACK; retry → NACK (try later, or another sink of the
 * group); reject → NACK, the sink can never take this batch (the runtime logs it at error).
 */
export type Delivery = { status: 'ok' } | { status: 'retry' | 'reject'; error: Error };

export const DELIVERED: Delivery = Object.freeze({ status: 'ok' });

/**
 * A sink delivers batches downstream. The runtime takes from the channel, calls `deliver`, and
 * ACKs only on `ok`; any other outcome NACKs the batch back to the head of the channel.
 * `deliver` is never called concurrently on one sink instance, so batches reach it in channel order,
 * and never with an empty batch.
 *
 * The outcome is all a sink reports about a delivery: the runtime counts Flume's per-delivery sink
 * counters from it (BatchUnderflowCount / BatchCompleteCount, EventDrainAttemptCount,
 * EventDrainSuccessCount, EventWriteFail). A sink keeps only the counters of its connections
 * (ConnectionCreatedCount, ConnectionClosedCount, ConnectionFailedCount).
 */
export interface Sink {
  /** Largest batch this sink wants per delivery (Flume's batchSize / batch-size). */
  readonly batchSize: number;
  start(): Promise<void>;
  /**
   * Resolves with the outcome. A batch whose bytes are not an Avro array of events lets the batch
   * codec's SLUICE_ERR_MALFORMED_BATCH out: the runtime answers it `reject` for the sink. Any other
   * rejection is a bug in the sink: the worker exits (crash-only) and the supervisor restarts it;
   * the batch, never ACKed, is delivered again.
   */
  deliver(batch: Batch, signal: AbortSignal): Promise<Delivery>;
  stop(): Promise<void>;
}

/** Interceptors may transform or drop events, nothing else; they run in the source worker, in order. */
export interface Interceptor {
  intercept(events: SluiceEvent[]): SluiceEvent[];
}

/** Decides which channels receive each event. */
export interface ChannelSelector {
  /** Channels that must commit for the emit to succeed, per event. */
  required(event: SluiceEvent): readonly string[];
  /** Channels tried best-effort, per event; their failures are logged and counted only. */
  optional(event: SluiceEvent): readonly string[];
  /** Present when the routing never depends on the event: batches can then pass through undecoded. */
  readonly fixed?: { readonly required: readonly string[]; readonly optional: readonly string[] };
}

/** A sink with its name, as a sink processor sees it. */
export interface NamedSink {
  readonly name: string;
  readonly sink: Sink;
}

/**
 * Chooses which sink of a group delivers the next batch. `deliver` tries sinks by the processor's
 * policy (failover, round robin...) and returns the first `ok`, or the last failure. A sink that
 * throws is not a failure to route around: the rejection goes out of `deliver` unchanged.
 */
export interface SinkProcessor {
  readonly batchSize: number;
  deliver(batch: Batch, signal: AbortSignal): Promise<Delivery>;
}

/** A batch held by a channel store, with its framing (event boundaries) already known. */
export interface StoredBatch {
  readonly bytes: Buffer;
  readonly framing: BatchFraming;
}

/**
 * The storage of a channel. Transactions, leases, owners and timeouts are the channel service's
 * job; a store only keeps committed batches in order and leases them out. Every method is called
 * from one event loop; promises resolve in call order for commit/ack.
 */
export interface ChannelStore {
  readonly capacity: number;
  /** Committed events not yet acknowledged (queued plus leased). */
  readonly size: number;
  /** Replays or prepares storage; resolves when the store can serve. */
  open(): Promise<void>;
  /**
   * Makes the batch durable and visible at the tail. 'full' stores nothing. A txId already
   * committed resolves 'duplicate' and stores nothing (a resent COMMIT).
   */
  commit(txId: string, batch: StoredBatch): Promise<'ok' | 'full' | 'duplicate'>;
  /**
   * Whether `commit` would find room for the batch now (capacity, byte budget, disk reserve): a
   * commit called in the same tick answers 'full' exactly when this is false. Changes nothing (it
   * may log that the disk's free space crossed the reserve).
   */
  fits(txId: string, batch: StoredBatch): boolean;
  /** Leases up to maxEvents from the head under txId; undefined when nothing is queued. */
  take(txId: string, maxEvents: number): Promise<StoredBatch | undefined>;
  /** Removes a lease's events for good (durably for a durable store). 'unknown' if no such lease. */
  ack(txId: string): Promise<'ok' | 'unknown'>;
  /** Returns a lease's events to the head of the queue, ahead of everything taken after them. */
  nack(txId: string): Promise<'ok' | 'unknown'>;
  close(): Promise<void>;
}
