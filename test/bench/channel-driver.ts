import { createLogger, encodeBatch, type SluiceEvent } from '@sluice/core';
import { ChannelWriter, DEFAULT_TUNING } from '@sluice/runtime';
import { ChannelClient, channelEndpoint } from '@sluice/transport';
import type { CpuSeconds } from './proc.js';

/** Distinct pre-encoded batches the driver cycles through. */
const RING = 16;

/** The value of header `p` that makes an event with a 6-digit seq body `bytes` long, Avro-encoded. */
export function padFor(bytes: number): string {
  const sized = (v: number) => encodeBatch([{ headers: { p: 'x'.repeat(v) }, body: Buffer.from('500000') }]).length - encodeBatch([]).length;
  let v = bytes - 20;
  while (sized(v) < bytes) v++;
  return 'x'.repeat(v);
}

function seqEvents(first: number, count: number, pad: string): SluiceEvent[] {
  return Array.from({ length: count }, (_, i) => ({ headers: { p: pad }, body: Buffer.from(String(first + i)) }));
}

/**
 * Puts `events` events into a running agent's channel the way a source worker does (the runtime's
 * own ChannelWriter: PUT with commit, `DEFAULT_TUNING.window` in flight, FULL and timeouts
 * handled), from this process, so a channel can be measured without a source worker's cost.
 * Events are seq's (decimal bodies) with one header `p` = `pad`, in batches of `batchSize`. The
 * driver stands for the cheapest possible source: it encodes RING distinct batches before the clock
 * starts and writes them in turn, so its own cost is the data plane's, not an event generator's.
 * Returns the CPU the driver itself (this process) used.
 */
export async function driveChannel(runDir: string, channel: string, events: number, batchSize: number, pad: string): Promise<CpuSeconds> {
  const logger = createLogger({ level: 'warn' });
  const client = new ChannelClient(channelEndpoint(runDir, channel), `bench-driver-${process.pid}`, logger);
  client.connect();
  const writer = new ChannelWriter(client, {
    channel,
    window: DEFAULT_TUNING.window,
    requestTimeoutMs: DEFAULT_TUNING.requestTimeoutMs,
    logger,
    txPrefix: `bench-driver-${process.pid}-${Date.now().toString(36)}`,
  });
  const ring = Array.from({ length: RING }, (_, r) => encodeBatch(seqEvents(r * batchSize, batchSize, pad)));
  const last = events % batchSize === 0 ? undefined : encodeBatch(seqEvents(0, events % batchSize, pad));
  const started = process.cpuUsage();
  const pending = new Set<Promise<void>>();
  try {
    for (let b = 0; b * batchSize < events; b++) {
      const written = writer.write((b + 1) * batchSize > events ? last! : ring[b % RING]!);
      pending.add(written);
      const settled = () => pending.delete(written);
      written.then(settled, settled); // its failure is seen by the race or the Promise.all below
      // Queue a little ahead of the window, not the whole run ahead.
      while (pending.size >= 2 * DEFAULT_TUNING.window) await Promise.race(pending);
    }
    await Promise.all(pending);
  } finally {
    await client.close();
  }
  const used = process.cpuUsage(started);
  return { user: used.user / 1e6, sys: used.system / 1e6 };
}
