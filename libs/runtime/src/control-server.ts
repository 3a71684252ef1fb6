import { chmod, lstat, rename, unlink } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { RateLimitedWarn, SluiceError, type ErrorCode, type Logger } from '@sluice/core';
import { MAX_SOCKET_PATH } from '@sluice/transport';
import { MAX_CONTROL_LINE, type ControlHandler, type ControlOp, type ControlReply, type ControlRequest, type ControlResults } from './control-protocol.js';

const OPS: readonly ControlOp[] = ['status', 'metrics', 'restart', 'stop', 'reload'];
/** Ops polled by `sluice ctl top` every second: logged at debug, the others at info. */
const QUIET_OPS: ReadonlySet<ControlOp> = new Set(['status', 'metrics']);
/** How long close() lets a connected client finish reading before the socket is cut. */
const CLOSE_GRACE_MS = 1000;
/** Requests one connection may have waiting before its socket is paused. */
const MAX_QUEUED = 64;

let tempSeq = 0;

/**
 * The supervisor's control socket: a unix socket at `path` speaking the protocol of
 * control-protocol.ts (one JSON request per line, one JSON reply line per request, in order per
 * connection; any number of connections at once).
 *
 * Access control is the socket file's mode, 0600, inside a run dir of mode 0700: connect() on a
 * unix socket needs write permission on the file, so another user's connect fails with EACCES
 * before the agent sees anything (root, which bypasses file modes, may still connect). Node has
 * no API for SO_PEERCRED, so the peer's uid is not checked again once connected.
 *
 * The file never exists at `path` with a looser mode: listen() binds a temporary name in the same
 * directory, chmods it to 0600, and only then renames it over `path` (atomically replacing a stale
 * socket left by a killed agent: the caller holds the run dir's pid lock, so any socket already at
 * `path` is stale). Under a umask that leaves the temporary socket group- or world-writable, the
 * moment between bind and chmod is covered by the run dir's own 0700 mode.
 *
 * Requests are checked before the handler sees them: malformed JSON, a non-object, an unknown `op`
 * or a bad argument is answered with SLUICE_ERR_CONTROL and the connection stays open; a line longer
 * than MAX_CONTROL_LINE bytes is answered with SLUICE_ERR_CONTROL and that connection is closed.
 * A SluiceError thrown by the handler becomes an error reply with its code and message; any other
 * error is logged at error level and answered as SLUICE_ERR_CONTROL "internal error: ...". Nothing
 * a client sends stops the agent. A malformed request is logged at warn at most once a minute, the
 * others at debug; each warn after the first says how many went to debug since the one before.
 */
export class ControlServer {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  /** The inode of the socket file this server created, so close() never removes a successor's. */
  private ino: number | null = null;
  private closing: Promise<void> | null = null;
  /** Clients of a unix socket have no address to tell them apart: one key stands for all of them. */
  private readonly malformed = new RateLimitedWarn();

  constructor(
    private readonly path: string,
    private readonly handler: ControlHandler,
    private readonly logger: Logger,
  ) {}

  /**
   * Binds the socket and makes it reachable at `path` with mode 0600. Rejects with
   * SLUICE_ERR_PATH_TOO_LONG for a path over 107 bytes, SLUICE_ERR_CONTROL when `path` holds
   * something other than a socket or the bind fails (the run dir missing or not writable).
   */
  async listen(): Promise<void> {
    if (this.server !== null) throw new Error('ControlServer.listen() called twice');
    const temp = join(dirname(this.path), `.${basename(this.path)}.${process.pid}.${++tempSeq}`);
    for (const p of [this.path, temp]) {
      if (Buffer.byteLength(p) > MAX_SOCKET_PATH) {
        throw new SluiceError(
          'SLUICE_ERR_PATH_TOO_LONG',
          `control socket path ${p} is ${Buffer.byteLength(p)} bytes, over the ${MAX_SOCKET_PATH}-byte limit: choose a shorter --run-dir`,
        );
      }
    }
    await this.checkReplaceable();
    await unlinkIfPresent(temp);
    const server = createServer({ allowHalfOpen: true }, (socket) => this.accept(socket));
    this.server = server;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(temp, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      this.server = null;
      throw new SluiceError('SLUICE_ERR_CONTROL', `cannot listen on the control socket ${temp}: ${(err as Error).message}`, { cause: err });
    }
    server.on('error', (err) => this.logger.error({ err, path: this.path }, 'Control socket error.'));
    try {
      await chmod(temp, 0o600);
      await rename(temp, this.path);
      this.ino = (await lstat(this.path)).ino;
    } catch (err) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      this.server = null;
      await unlinkIfPresent(temp);
      throw new SluiceError('SLUICE_ERR_CONTROL', `cannot set up the control socket ${this.path}: ${(err as Error).message}`, { cause: err });
    }
    this.logger.info({ path: this.path }, 'Control socket listening.');
  }

  /**
   * Stops accepting connections, ends the open ones (a client gets a second to read what was
   * already written), and removes the socket file. Idempotent; a no-op before listen().
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const server = this.server;
    if (server === null) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.end();
    const timer = setTimeout(() => {
      for (const socket of this.sockets) socket.destroy();
    }, CLOSE_GRACE_MS);
    await closed;
    clearTimeout(timer);
    try {
      if (this.ino !== null && (await lstat(this.path)).ino === this.ino) await unlink(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.logger.warn({ err, path: this.path }, 'Could not remove the control socket.');
    }
  }

  /** A socket at `path` is stale (we hold the pid lock) and will be replaced; anything else is refused. */
  private async checkReplaceable(): Promise<void> {
    let stat;
    try {
      stat = await lstat(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new SluiceError('SLUICE_ERR_CONTROL', `cannot check the control socket path ${this.path}: ${(err as Error).message}`, { cause: err });
    }
    if (!stat.isSocket()) {
      throw new SluiceError('SLUICE_ERR_CONTROL', `${this.path} exists and is not a socket: remove it, or choose another --run-dir`);
    }
    this.logger.warn({ path: this.path }, 'Replacing a stale control socket left by an agent that did not stop cleanly.');
  }

  private accept(socket: Socket): void {
    if (this.closing !== null) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    const conn = new Connection(socket, (line) => this.answer(line));
    socket.on('close', () => {
      this.sockets.delete(socket);
      conn.closed = true;
    });
  }

  /** The reply to one request line (never throws). */
  private async answer(line: string): Promise<ControlReply> {
    const parsed = parseRequest(line);
    if (typeof parsed === 'string') {
      const { level, ...counted } = this.malformed.report('');
      this.logger[level]({ reason: parsed, ...counted }, 'Malformed control request refused.');
      return errorReply('SLUICE_ERR_CONTROL', parsed);
    }
    const fields = { op: parsed.op, component: parsed.op === 'restart' ? parsed.component : undefined };
    if (QUIET_OPS.has(parsed.op)) this.logger.debug(fields, 'Control request.');
    else this.logger.info(fields, 'Control request.');
    try {
      return { ok: true, result: await this.dispatch(parsed) };
    } catch (err) {
      if (err instanceof SluiceError) return errorReply(err.code, err.message);
      this.logger.error({ err, ...fields }, 'Control request failed unexpectedly.');
      return errorReply('SLUICE_ERR_CONTROL', `internal error: ${(err as Error)?.message ?? String(err)}`);
    }
  }

  private async dispatch(req: ControlRequest): Promise<ControlResults[ControlOp]> {
    switch (req.op) {
      case 'status':
        return this.handler.status();
      case 'metrics':
        return this.handler.metrics();
      case 'restart':
        return this.handler.restart(req.component);
      case 'stop':
        return this.handler.stop();
      case 'reload':
        return this.handler.reload(req.force ?? false);
    }
  }
}

/**
 * One client connection: splits the byte stream into lines (at most MAX_CONTROL_LINE bytes each),
 * and writes the replies strictly in request order, even when a later request is answered first.
 */
class Connection {
  closed = false;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** The last reply written (or to be written); each request chains on it. */
  private chain: Promise<void> = Promise.resolve();
  private refusing = false;
  private queued = 0;

  constructor(
    private readonly socket: Socket,
    private readonly answer: (line: string) => Promise<ControlReply>,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => {
      if (!this.refusing && this.pendingBytes > 0) this.request(Buffer.concat(this.pending).toString('utf8'));
      this.pending = [];
      this.pendingBytes = 0;
      this.chain = this.chain.then(() => {
        socket.end();
      });
    });
    // A client that goes away mid-reply (EPIPE, ECONNRESET) only loses its own replies.
    socket.on('error', () => socket.destroy());
  }

  private onData(chunk: Buffer): void {
    if (this.refusing) return;
    let start = 0;
    for (let nl = chunk.indexOf(0x0a, start); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      const part = chunk.subarray(start, nl);
      start = nl + 1;
      if (this.pendingBytes + part.length > MAX_CONTROL_LINE) return this.refuseOversized();
      const line = this.pendingBytes === 0 ? part : Buffer.concat([...this.pending, part]);
      this.pending = [];
      this.pendingBytes = 0;
      this.request(line.toString('utf8'));
    }
    const rest = chunk.subarray(start);
    if (rest.length === 0) return;
    if (this.pendingBytes + rest.length > MAX_CONTROL_LINE) return this.refuseOversized();
    this.pending.push(Buffer.from(rest));
    this.pendingBytes += rest.length;
  }

  /** Requests run one at a time, in order; a client pipelining many is paused until they are answered. */
  private request(line: string): void {
    if (++this.queued > MAX_QUEUED) this.socket.pause();
    this.chain = this.chain.then(async () => {
      this.write(await this.answer(line.endsWith('\r') ? line.slice(0, -1) : line));
      if (--this.queued <= MAX_QUEUED && !this.refusing) this.socket.resume();
    });
  }

  private refuseOversized(): void {
    this.refusing = true;
    this.pending = [];
    this.pendingBytes = 0;
    // Whatever else the client sends is read and dropped (not left unread: closing a unix socket
    // with unread input can reset the peer before it reads the reply).
    this.socket.resume();
    const reply = errorReply('SLUICE_ERR_CONTROL', `request line longer than ${MAX_CONTROL_LINE} bytes: connection closed`);
    this.chain = this.chain.then(() => {
      this.write(reply);
      this.socket.end();
      setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
    });
  }

  private write(reply: ControlReply): void {
    if (!this.closed && this.socket.writable) this.socket.write(JSON.stringify(reply) + '\n');
  }
}

function errorReply(code: ErrorCode, message: string): ControlReply {
  return { ok: false, error: { code, message } };
}

async function unlinkIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** A request, or why it is refused. */
export function parseRequest(line: string): ControlRequest | string {
  if (line.trim() === '') return 'empty request line: expected a JSON object such as {"op":"status"}';
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    return `malformed request: not JSON (${(err as Error).message})`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'malformed request: expected a JSON object such as {"op":"status"}';
  }
  const req = value as Record<string, unknown>;
  const op = req['op'];
  if (typeof op !== 'string' || !(OPS as readonly string[]).includes(op)) {
    const shown = typeof op === 'string' ? `"${op.slice(0, 64)}"` : op === undefined ? 'missing' : `a ${typeof op}`;
    return `unknown op (${shown}): expected one of ${OPS.join(', ')}`;
  }
  switch (op as ControlOp) {
    case 'restart': {
      const component = req['component'];
      if (typeof component !== 'string' || component.trim() === '') {
        return 'restart needs "component": a worker id (sink:g1) or a channel, source, sink or sink group name';
      }
      return { op: 'restart', component };
    }
    case 'reload': {
      const force = req['force'];
      if (force !== undefined && typeof force !== 'boolean') return 'reload: "force" must be true or false';
      return force === undefined ? { op: 'reload' } : { op: 'reload', force };
    }
    default:
      return { op } as ControlRequest;
  }
}
