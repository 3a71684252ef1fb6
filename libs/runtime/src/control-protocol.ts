import type { ErrorCode } from '@sluice/core';
import type { AgentSnapshot } from '@sluice/metrics';

/**
 * The supervisor's control socket (`RUN_DIR/control.sock`, mode 0600): one JSON object per line
 * each way; every request gets exactly one reply line, in order.
 */
export const CONTROL_SOCKET = 'control.sock';

/** Longest request line accepted; a longer one is answered with SLUICE_ERR_CONTROL and the connection closed. */
export const MAX_CONTROL_LINE = 64 * 1024;

export type ControlRequest =
  | { readonly op: 'status' }
  /** Flume's JSON `/metrics` object. */
  | { readonly op: 'metrics' }
  /** `component`: a worker id (`sink:g1`), or a bare channel, source, sink or sink-group name. */
  | { readonly op: 'restart'; readonly component: string }
  | { readonly op: 'stop' }
  /** Re-reads the config file; `force` allows removing a channel that still holds events. */
  | { readonly op: 'reload'; readonly force?: boolean };

export type ControlOp = ControlRequest['op'];

/** What a reload changed, by worker id (`sink:g1`). */
export interface ReloadResult {
  /** False when the file's topology equals the running one (nothing was touched). */
  readonly changed: boolean;
  readonly restarted: readonly string[];
  readonly started: readonly string[];
  readonly stopped: readonly string[];
}

export interface ControlResults {
  readonly status: AgentSnapshot;
  readonly metrics: Record<string, Record<string, string>>;
  /** The worker ids restarted. */
  readonly restart: { readonly restarted: readonly string[] };
  readonly stop: { readonly stopping: true };
  readonly reload: ReloadResult;
}

export type ControlReply<Op extends ControlOp = ControlOp> =
  | { readonly ok: true; readonly result: ControlResults[Op] }
  | { readonly ok: false; readonly error: { readonly code: ErrorCode; readonly message: string } };

/** What the control server asks the supervisor to do; errors thrown as SluiceError become error replies. */
export interface ControlHandler {
  status(): AgentSnapshot;
  metrics(): ControlResults['metrics'];
  restart(component: string): Promise<ControlResults['restart']>;
  /** Starts a graceful stop and answers at once (the socket goes away when the agent is stopped). */
  stop(): ControlResults['stop'];
  reload(force: boolean): Promise<ReloadResult>;
}
