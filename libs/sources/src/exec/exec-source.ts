import { spawn, type ChildProcess } from 'node:child_process';
import { SluiceError, type Batch, type Logger, type Source, type SourceContext } from '@sluice/core';
import type { ExecConfig } from './exec-factory.js';
import { LineBatchEncoder } from './line-batch.js';
import { LineSplitter } from './line-splitter.js';
import { descendantsOf, isAlive, signalAll } from './process-tree.js';

/** How long a stopped command gets between SIGTERM and SIGKILL. */
const KILL_GRACE_MS = 2000;
/** Longest stderr line logged in one record (logStdErr). */
const MAX_STDERR_LINE = 64 * 1024;
/** The last stderr lines kept (logStdErr or not) for the line that reports the command's exit. */
export const STDERR_TAIL_LINES = 10;
/** Longest stderr line kept in that tail, in bytes. */
export const STDERR_TAIL_LINE_BYTES = 512;

/**
 * The exec source: runs `command`, splits its stdout into lines, and emits them in batches of
 * `batchSize` (or whatever arrived within `batchTimeout` ms). While the runtime is not writable
 * (its window of commits is full, a full channel included), stdout is paused so the pipe fills
 * and the command blocks: nothing is buffered without bound and no line is dropped.
 *
 * The child shares the worker's process group (it dies with the worker). `stop()` sends SIGTERM
 * to the child and its descendants (SIGKILL after a short grace),
 * reads what they wrote until the pipe closes, and emits it, the last partial line included; it
 * resolves once those emits are made (the runtime waits for their commits within its shutdown
 * deadline).
 */
export class ExecSource implements Source {
  private readonly logger: Logger;
  private readonly splitter: LineSplitter;
  /** The batch being built: lines are encoded as they are split. */
  private readonly encoder: LineBatchEncoder;
  private readonly argv: readonly string[];
  private child: ChildProcess | undefined;
  private childClosed: Promise<void> = Promise.resolve();
  private batchTimer: NodeJS.Timeout | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private paused = false;
  private stopping: Promise<void> | undefined;
  /** The last stderr lines of the current command, oldest first. */
  private stderrTail: string[] = [];

  constructor(
    private readonly config: ExecConfig,
    private readonly ctx: SourceContext,
  ) {
    this.logger = ctx.logger;
    this.argv = commandLine(config.command, config.shell);
    this.encoder = new LineBatchEncoder(config.batchSize, () => this.cutBatch());
    this.splitter = new LineSplitter(
      config.maxLineLength,
      this.encoder,
      (bytes) => this.logger.warn({ maxLineLength: config.maxLineLength, bytes }, 'line longer than maxLineLength; sending it in pieces'),
    );
  }

  async start(): Promise<void> {
    await this.spawnChild(true);
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (child !== undefined) {
      // Read what the command already wrote: the pipe ends once the command tree is gone.
      this.paused = false;
      child.stdout?.resume();
      await this.kill(child);
      if (!(await settlesWithin(this.childClosed, KILL_GRACE_MS))) {
        this.logger.warn('the command output stayed open after the command ended; closing it');
        child.stdout?.destroy();
        child.stderr?.destroy();
        await this.childClosed;
      }
    }
    this.splitter.end();
    this.cutBatch();
    this.logger.info('exec source stopped');
  }

  /** Spawns the command; resolves once it runs, rejects if it cannot be started. */
  private spawnChild(initial: boolean): Promise<void> {
    const [file, ...args] = this.argv;
    const child = spawn(file!, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.paused = false;
    this.stderrTail = [];
    let closed!: () => void;
    this.childClosed = new Promise((resolve) => (closed = resolve));
    return new Promise((resolve, reject) => {
      let started = false;
      child.once('spawn', () => {
        started = true;
        this.logger.info({ command: this.config.command, commandPid: child.pid }, 'command started');
        resolve();
      });
      child.on('error', (err) => {
        if (started) {
          this.logger.warn({ err, commandPid: child.pid }, 'command process error');
          return;
        }
        // Not started: 'close' follows, which decides about a restart.
        reject(new SluiceError('SLUICE_ERR_CONFIG', `exec source ${this.ctx.name} cannot run command "${this.config.command}": ${err.message}`, { cause: err }));
      });
      child.stdout!.on('data', (chunk: Buffer) => this.onChunk(chunk));
      this.readStderr(child);
      child.once('close', (code, signal) => {
        this.onClose(code, signal, started, initial);
        closed();
      });
    });
  }

  private onChunk(chunk: Buffer): void {
    this.splitter.push(chunk);
    if (this.encoder.count > 0 && this.batchTimer === undefined) {
      this.batchTimer = setTimeout(() => {
        this.batchTimer = undefined;
        this.cutBatch();
      }, this.config.batchTimeout);
    }
    this.maybePause();
  }

  private cutBatch(): void {
    clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    const batch = this.encoder.take();
    if (batch !== undefined) this.emit(batch);
  }

  private emit(batch: Batch): void {
    this.ctx.emitBatch(batch).catch((err: unknown) => this.logger.error({ err, events: batch.count }, 'A batch was not committed; its lines are lost.'));
  }

  /** Pauses stdout while the runtime is not writable; resumes it once it is. */
  private maybePause(): void {
    const stdout = this.child?.stdout;
    if (this.paused || this.stopping !== undefined || !stdout || this.ctx.writable()) return;
    this.paused = true;
    stdout.pause();
    this.logger.debug('paused reading the command output');
    void this.ctx.whenWritable().then(() => {
      if (!this.paused || this.child?.stdout !== stdout) return;
      this.paused = false;
      this.logger.debug('resumed reading the command output');
      if (!stdout.destroyed) stdout.resume();
    });
  }

  private onClose(code: number | null, signal: NodeJS.Signals | null, started: boolean, initial: boolean): void {
    this.child = undefined;
    if (this.stopping !== undefined) {
      this.logger.info({ code, signal }, 'command stopped');
      return;
    }
    if (!started && initial) return; // start() rejects with the reason
    this.splitter.end();
    this.cutBatch();
    const restartInMs = this.config.restart ? this.config.restartThrottle : undefined;
    const stderr = this.stderrTail.length > 0 ? { stderr: this.stderrTail } : {};
    const fields = { command: this.config.command, code, signal, restartInMs, ...stderr };
    if (!started) this.logger.error(fields, 'command could not be started');
    else if (code === 0) this.logger.info(fields, 'command exited');
    else this.logger.warn(fields, 'command exited');
    if (restartInMs === undefined) {
      if (started) this.logger.info('not restarting the command (restart = false)');
      return;
    }
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.stopping !== undefined) return;
      this.spawnChild(false).catch((err: unknown) => this.logger.error({ err }, 'command restart failed'));
    }, restartInMs);
  }

  /**
   * Keeps the last STDERR_TAIL_LINES lines of the command's stderr (each cut at
   * STDERR_TAIL_LINE_BYTES) for its exit line, and with logStdErr logs every line at info.
   */
  private readStderr(child: ChildProcess): void {
    let n = 0;
    const tail = this.stderrTail;
    const splitter = new LineSplitter(MAX_STDERR_LINE, {
      line: (bytes, start, end) => {
        const cut = Math.min(end, start + STDERR_TAIL_LINE_BYTES);
        tail.push(bytes.toString('utf8', start, cut) + (cut < end ? '…' : ''));
        if (tail.length > STDERR_TAIL_LINES) tail.shift();
        if (this.config.logStdErr) this.logger.info({ line: bytes.toString('utf8', start, end), n: ++n }, 'command stderr');
      },
    });
    child.stderr!.on('data', (chunk: Buffer) => splitter.push(chunk));
    child.stderr!.once('end', () => splitter.end());
  }

  /** SIGTERM to the child and its descendants, SIGKILL to what is left after the grace. */
  private async kill(child: ChildProcess): Promise<void> {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const tree = [child.pid, ...descendantsOf(child.pid)];
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    signalAll(tree, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'grace'>((resolve) => (timer = setTimeout(() => resolve('grace'), KILL_GRACE_MS)));
    const treeGone = exited.then(() => waitForExit(tree.slice(1), KILL_GRACE_MS));
    const first = await Promise.race([treeGone, graceOver]);
    clearTimeout(timer);
    if (first === 'grace') {
      const left = [...tree, ...descendantsOf(child.pid)].filter(isAlive);
      this.logger.warn({ commandPid: child.pid, left: left.length, graceMs: KILL_GRACE_MS }, 'command ignored SIGTERM; sending SIGKILL');
      signalAll(left, 'SIGKILL');
      await exited;
    }
  }
}

/** True if `promise` resolves within `ms`. */
async function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const result = await Promise.race([promise.then(() => true as const), timeout]);
  clearTimeout(timer);
  return result;
}

/** Resolves once none of `pids` is alive, checking every 20 ms, or after `maxMs`. */
async function waitForExit(pids: readonly number[], maxMs: number): Promise<void> {
  const deadline = Date.now() + maxMs;
  while (pids.some(isAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

/** Flume's argv: the shell split on whitespace plus the command as one argument, or the command split on whitespace. */
export function commandLine(command: string, shell: string): string[] {
  const words = (s: string) => s.trim().split(/\s+/).filter((w) => w !== '');
  return shell.trim() === '' ? words(command) : [...words(shell), command];
}
