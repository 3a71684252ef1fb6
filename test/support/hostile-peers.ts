/**
 * Hostile peers for any listening source: each attack opens its connections against a port, runs
 * until stopped, and says when it is under way (so a test checks the source while it runs). The
 * attacks are what a client without credentials can send: lying counts in large frames, deflate
 * bombs, partial frames or lines held open, random bytes, a client that never reads its answers,
 * and thousands of idle connections.
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import * as zlib from 'node:zlib';
import { createAvroClient } from '@sluice/avro-rpc';

export type Protocol = 'avro' | 'avro-deflate' | 'netcat';

export interface Attack {
  readonly name: string;
  readonly protocols: readonly Protocol[];
  /** Starts the attack on 127.0.0.1:port; resolves once it is under way. */
  start(port: number, protocol: Protocol): Promise<RunningAttack>;
}

export interface RunningAttack {
  /** Connections the attack has opened so far. */
  readonly opened: () => number;
  stop(): Promise<void>;
}

const FRAME_BYTES = 60 * 1024 * 1024;

/** The zig-zag varint of a non-negative count. */
function varint(n: number): Buffer {
  const out: number[] = [];
  let z = n * 2;
  while (z >= 0x80) {
    out.push((z % 0x80) | 0x80);
    z = Math.floor(z / 0x80);
  }
  out.push(z);
  return Buffer.from(out);
}

/**
 * A raw connection whose answers are read and dropped (so the source's close is seen) and whose
 * errors are ignored (the source closing it is the expected outcome).
 */
function raw(port: number): Promise<Socket> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.on('error', () => undefined);
    socket.resume();
    // A connection the source never completes is given up after 10 s (the attack goes on).
    const timer = setTimeout(() => socket.destroy(), 10_000);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(socket);
    });
  });
}

/**
 * Runs `one` over and over on `parallel` connections until stopped. Under way once each has sent
 * its first payload (`sent`, or the end of its first round).
 */
async function loop(parallel: number, one: (stopped: () => boolean, sent: () => void) => Promise<void>): Promise<RunningAttack> {
  let stop = false;
  let opened = 0;
  let engaged = 0;
  let underWay!: () => void;
  const started = new Promise<void>((resolve) => (underWay = resolve));
  const workers = Array.from({ length: parallel }, async () => {
    let first = true;
    const sent = () => {
      if (first && ++engaged === parallel) underWay();
      first = false;
    };
    while (!stop) {
      opened++;
      await one(() => stop, sent).catch(() => undefined);
      sent();
    }
  });
  await started;
  return {
    opened: () => opened,
    stop: async () => {
      stop = true;
      await Promise.all(workers);
    },
  };
}

/** appendBatch with a count the 60 MB of bytes cannot carry, from ten clients at once. */
const lyingCount: Attack = {
  name: 'lying event count in a 60 MB frame',
  protocols: ['avro', 'avro-deflate'],
  start: (port, protocol) => {
    const batch = Buffer.concat([varint(FRAME_BYTES), Buffer.alloc(FRAME_BYTES - 8)]);
    return loop(10, async () => {
      const client = createAvroClient({ host: '127.0.0.1', port, compression: protocol === 'avro-deflate' ? 'deflate' : 'none', requestTimeoutMs: 30_000 });
      try {
        await client.appendBatch(batch);
      } finally {
        await client.close();
      }
    });
  },
};

/** How many one-byte drips a held partial frame has ready (200 ms apart: two minutes). */
const DRIPS = 600;

/**
 * The wire bytes of a held partial frame: its start (the header of a 60 MB frame and all but
 * 1 MB of it), then one-byte drips. Deflated, each is sync-flushed, as one zlib stream. Made once,
 * so the attack costs the attacker nothing per connection.
 */
const partialFrameWire = new Map<boolean, Promise<Buffer[]>>();
function partialFrame(deflated: boolean): Promise<Buffer[]> {
  let wire = partialFrameWire.get(deflated);
  if (wire === undefined) {
    const head = Buffer.alloc(12);
    head.writeInt32BE(1, 0);
    head.writeInt32BE(1, 4);
    head.writeInt32BE(FRAME_BYTES, 8);
    const chunks = [Buffer.concat([head, Buffer.alloc(FRAME_BYTES - 1024 * 1024)]), ...Array.from({ length: DRIPS }, () => Buffer.alloc(1))];
    wire = deflated ? deflateEach(chunks) : Promise.resolve(chunks);
    partialFrameWire.set(deflated, wire);
  }
  return wire;
}

/** `chunks` as one zlib stream, each sync-flushed: what each adds to the stream. */
async function deflateEach(chunks: readonly Buffer[]): Promise<Buffer[]> {
  const deflater = zlib.createDeflate();
  let pending: Buffer[] = [];
  deflater.on('data', (d: Buffer) => pending.push(d));
  const out: Buffer[] = [];
  for (const c of chunks) {
    deflater.write(c);
    await new Promise<void>((resolve) => deflater.flush(zlib.constants.Z_SYNC_FLUSH, () => resolve()));
    out.push(Buffer.concat(pending));
    pending = [];
  }
  deflater.destroy();
  return out;
}

/** Connections each sending the start of a 60 MB frame and holding it open, a byte at a time. */
const heldPartialFrames: Attack = {
  name: 'partial 60 MB frames held open',
  protocols: ['avro', 'avro-deflate'],
  start: async (port, protocol) => {
    const wire = await partialFrame(protocol === 'avro-deflate');
    return loop(30, async (stopped, sent) => {
      const socket = await raw(port);
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.write(wire[0]!, sent);
      let drip = 1;
      await trickle(closed, stopped, () => drip < wire.length && socket.write(wire[drip++]!));
      socket.destroy();
    });
  },
};

/** Until the connection closes or the attack stops, calls `drip` every 200 ms. */
async function trickle(closed: Promise<void>, stopped: () => boolean, drip: () => void): Promise<void> {
  let open = true;
  void closed.then(() => (open = false));
  while (open && !stopped()) {
    await new Promise((r) => setTimeout(r, 200));
    if (open) drip();
  }
}

/** A length prefix or line far past any limit. */
const oversized: Attack = {
  name: 'oversized length prefix or line',
  protocols: ['avro', 'netcat'],
  start: (port, protocol) =>
    loop(4, async () => {
      const socket = await raw(port);
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      if (protocol === 'netcat') {
        // 50 MB without a newline, then one: refused, never buffered whole.
        for (let i = 0; i < 50 && !socket.destroyed; i++) await write(socket, Buffer.alloc(1024 * 1024, 0x41));
        socket.end('\n');
      } else {
        const head = Buffer.alloc(12);
        head.writeInt32BE(1, 0);
        head.writeInt32BE(1, 4);
        head.writeInt32BE(0x7fffffff, 8);
        socket.write(head);
      }
      await closed;
    }),
};

/** Random bytes, 64 KB per connection. */
const garbage: Attack = {
  name: 'random bytes',
  protocols: ['avro', 'avro-deflate', 'netcat'],
  start: (port) =>
    loop(4, async () => {
      const socket = await raw(port);
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.end(randomBytes(64 * 1024));
      await closed;
    }),
};

/** Lines sent without ever reading the answers, until TCP stops taking them. */
const deafClient: Attack = {
  name: 'a client that never reads its answers',
  protocols: ['netcat'],
  start: (port) =>
    loop(1, async (stopped, sent) => {
      const socket = await raw(port);
      socket.pause();
      const lines = Buffer.from('x\n'.repeat(512 * 1024));
      while (!stopped() && !socket.destroyed) {
        if (socket.write(lines)) continue;
        sent(); // under way once the socket pushes back
        await Promise.race([write(socket, Buffer.alloc(0)), until(stopped)]);
      }
      socket.destroy();
    }),
};

/** `count` connections opened and left idle. */
function idleConnections(count: number): Attack {
  return {
    name: `${count} idle connections`,
    protocols: ['avro', 'avro-deflate', 'netcat'],
    start: async (port) => {
      const sockets: Socket[] = [];
      for (let i = 0; i < count; i++) sockets.push(await raw(port));
      return {
        opened: () => sockets.length,
        stop: async () => {
          for (const s of sockets) s.destroy();
        },
      };
    },
  };
}

/** Writes `chunk`; resolves once the socket takes more (or closes). */
function write(socket: Socket, chunk: Buffer): Promise<void> {
  return new Promise((resolve) => {
    if (socket.write(chunk)) return resolve();
    const done = () => {
      socket.off('drain', done).off('close', done);
      resolve();
    };
    socket.on('drain', done).on('close', done);
  });
}

async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((r) => setTimeout(r, 100));
}

/** Every attack, for the protocols it applies to. */
export function attacksFor(protocol: Protocol, idleCount: number): Attack[] {
  return [lyingCount, heldPartialFrames, oversized, garbage, deafClient, idleConnections(idleCount)].filter((a) => a.protocols.includes(protocol));
}
