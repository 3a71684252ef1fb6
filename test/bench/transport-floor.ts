/**
 * The floor under every figure of the benchmarks: what one data-plane hop costs on this machine
 * with nothing behind it. This process puts pre-encoded batches (the channel driver: the runtime's
 * ChannelWriter, its window) into a forked process that runs only the transport's ChannelServer
 * and answers COMMITTED to each PUT without looking at the batch: no store, no framing check.
 * What both processes use per 1M events is the cost of moving the bytes between two Node
 * processes over ZeroMQ (copies, system calls, thread wake-ups, GC of the buffers), which every
 * hop of a flow pays once more. Run alone: node test/dist/bench/transport-floor.js [events]
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { channelEndpoint, ChannelServer } from '@sluice/transport';
import { createLogger } from '@sluice/core';
import { cleanup, tempDir } from '../support/agent.js';
import { driveChannel, padFor } from './channel-driver.js';
import type { CpuSeconds } from './proc.js';

const CHANNEL = 'floor';

export interface HopFloor {
  readonly eventsPerSecond: number;
  /** CPU per 1M events of the sending and of the receiving process. */
  readonly sender: CpuSeconds;
  readonly receiver: CpuSeconds;
}

/** Runs the receiving end in this (forked) process until the parent says stop. */
async function serve(dir: string): Promise<void> {
  const logger = createLogger({ level: 'warn' });
  const server = new ChannelServer(channelEndpoint(dir, CHANNEL), (_peer, req) => Promise.resolve({ type: 'COMMITTED', tx: req.tx }), logger);
  await server.bind();
  const started = process.cpuUsage();
  process.send!('ready');
  await once(process, 'message');
  const used = process.cpuUsage(started);
  process.send!({ user: used.user / 1e6, sys: used.system / 1e6 });
  await server.close();
  process.disconnect();
}

/** Moves `events` events of the given padding, in batches, through one bare hop; CPU per 1M events. */
export async function measureHopFloor(events: number, batchSize: number, pad: string): Promise<HopFloor> {
  const dir = tempDir('bench-floor');
  const child = fork(__filename, ['--serve', dir], { stdio: 'inherit' });
  try {
    const [ready] = (await once(child, 'message')) as [unknown];
    if (ready !== 'ready') throw new Error(`transport floor: unexpected message ${String(ready)}`);
    const start = performance.now();
    const sender = await driveChannel(dir, CHANNEL, events, batchSize, pad);
    const seconds = (performance.now() - start) / 1000;
    child.send('stop');
    const [receiver] = (await once(child, 'message')) as [CpuSeconds];
    const perM = (c: CpuSeconds): CpuSeconds => ({ user: (c.user * 1e6) / events, sys: (c.sys * 1e6) / events });
    return { eventsPerSecond: events / seconds, sender: perM(sender), receiver: perM(receiver) };
  } finally {
    child.kill();
    cleanup(dir);
  }
}

/** One line for a benchmark's output. */
export function describeFloor(f: HopFloor): string {
  const cpu = (c: CpuSeconds): string => `${(c.user + c.sys).toFixed(2)} (user ${c.user.toFixed(2)}, sys ${c.sys.toFixed(2)})`;
  return (
    `${Math.round(f.eventsPerSecond).toLocaleString('en-US')} events/s; CPU s per 1M events: sender ${cpu(f.sender)}, ` +
    `receiver ${cpu(f.receiver)}, both ${(f.sender.user + f.sender.sys + f.receiver.user + f.receiver.sys).toFixed(2)}`
  );
}

if (require.main === module) {
  const serveAt = process.argv.indexOf('--serve');
  if (serveAt >= 0) {
    void serve(process.argv[serveAt + 1]!);
  } else {
    const events = Number(process.argv[2] ?? 3_000_000);
    measureHopFloor(events, 1000, padFor(200)).then(
      (f) => console.log(`one bare data-plane hop, ${events.toLocaleString('en-US')} events of ~200 bytes in batches of 1000: ${describeFloor(f)}`),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  }
}
