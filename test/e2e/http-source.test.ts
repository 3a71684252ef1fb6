import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { AgentProcess, cleanup, freePort, readRolledLines, tempDir, waitFor } from '../support/agent.js';

/*
 * A real agent with two flows. r1: http → memory → file_roll, with a 64 KiB request bound.
 * r2: http → a memory channel of 5 events → an avro sink to a port nobody listens on, so the
 * channel fills and stays full. Requests are sent with curl, the fuzz with node's own client.
 */

const MAX_REQUEST_BYTES = 64 * 1024;
const FULL_CAPACITY = 5;
const dir = tempDir('http-source');
const out = join(dir, 'out');
let agent: AgentProcess;
let port: number;
let fullPort: number;

before(async () => {
  mkdirSync(out, { recursive: true });
  [port, fullPort] = [await freePort(), await freePort()];
  const closedPort = await freePort();
  agent = new AgentProcess(
    dir,
    'a1',
    `a1.sources = r1 r2
a1.channels = c1 c2
a1.sinks = k1 k2
a1.sources.r1.type = http
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = ${port}
a1.sources.r1.maxRequestBytes = ${MAX_REQUEST_BYTES}
a1.sources.r1.maxBufferedBytes = ${MAX_REQUEST_BYTES * 4}
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 100000
a1.channels.c1.transactionCapacity = 1000
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = ${out}
a1.sinks.k1.sink.rollInterval = 0
a1.sources.r2.type = org.apache.flume.source.http.HTTPSource
a1.sources.r2.bind = 127.0.0.1
a1.sources.r2.port = ${fullPort}
a1.sources.r2.channels = c2
a1.channels.c2.type = memory
a1.channels.c2.capacity = ${FULL_CAPACITY}
a1.channels.c2.transactionCapacity = ${FULL_CAPACITY}
a1.channels.c2.keep-alive = 1
a1.sinks.k2.type = avro
a1.sinks.k2.channel = c2
a1.sinks.k2.hostname = 127.0.0.1
a1.sinks.k2.port = ${closedPort}
a1.sinks.k2.batch-size = ${FULL_CAPACITY}
`,
    ['--status-interval', '200'],
  );
  await agent.ready();
});

after(async () => {
  assert.equal(await agent.stop(), 0, agent.output);
  cleanup(dir);
});

interface Reply {
  readonly status: number;
  readonly text: string;
}

/** POSTs `body` (from stdin) with curl; the status and the answer's text. */
function curl(to: number, body: string | Buffer, args: readonly string[] = []): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const child = spawn('curl', ['-sS', '--max-time', '20', '-w', '\n%{http_code}', '--data-binary', '@-', ...args, `http://127.0.0.1:${to}/`]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`curl exited with ${code}: ${stderr}`));
      const cut = stdout.lastIndexOf('\n');
      resolve({ status: Number(stdout.slice(cut + 1)), text: stdout.slice(0, cut) });
    });
    child.stdin.end(body);
  });
}

const json = (bodies: readonly string[], headers: Record<string, string> = {}): string => JSON.stringify(bodies.map((body) => ({ headers, body })));

/** Waits until every one of `bodies` is a line of the sink's files. */
async function delivered(bodies: readonly string[]): Promise<void> {
  await waitFor(`${bodies.length} events in the file`, () => {
    if (!existsSync(out)) return undefined;
    const lines = new Set(readRolledLines(out));
    return bodies.every((b) => lines.has(b)) ? true : undefined;
  });
}

test('a POST of a JSON array is answered 200 and its events reach the file', async () => {
  const bodies = ['first event', 'second event', 'third — ünïcode ✓'];
  const reply = await curl(port, json(bodies, { host: 'web01' }), ['-H', 'Content-Type: application/json']);
  assert.equal(reply.status, 200, reply.text);
  await delivered(bodies);
});

test('malformed JSON and wrong shapes are answered 400 with the reason', async () => {
  const bad = await curl(port, '[{"headers": {}, "body": "x"');
  assert.equal(bad.status, 400);
  assert.match(bad.text, /^the body is not valid JSON/);
  const shape = await curl(port, '[{"headers": {"n": 1}, "body": "x"}]');
  assert.equal(shape.status, 400);
  assert.equal(shape.text, 'event 0: header "n" must be a string\n');
});

test('a batch larger than the channel transactionCapacity is answered 500, naming it; the next one 200', async () => {
  const tooMany = await curl(port, json(Array.from({ length: 1001 }, (_, i) => `n${i}`)));
  assert.equal(tooMany.status, 500);
  assert.match(tooMany.text, /transactionCapacity/);
  assert.equal((await curl(port, json(['after the refused batch']))).status, 200);
  await delivered(['after the refused batch']);
});

test('a body past maxRequestBytes is answered 413, declared or chunked', async () => {
  const big = json(['x'.repeat(MAX_REQUEST_BYTES * 4)]);
  const declared = await curl(port, big);
  assert.equal(declared.status, 413);
  assert.match(declared.text, new RegExp(`exceeds ${MAX_REQUEST_BYTES} bytes`));
  assert.equal((await curl(port, big, ['-H', 'Transfer-Encoding: chunked'])).status, 413);
  assert.equal((await curl(port, json(['after the big one']))).status, 200);
  await delivered(['after the big one']);
});

test('a channel that stays full is answered 503 with Retry-After, after the batches it had room for were answered 200', async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 10 && !statuses.includes(503); i++) {
    const batch = Array.from({ length: FULL_CAPACITY }, (_, j) => `full ${i}.${j}`);
    statuses.push((await curl(fullPort, json(batch))).status);
  }
  assert.ok(statuses.includes(200), `the channel took a batch first (${statuses.join(', ')})`);
  assert.equal(statuses.at(-1), 503, `then the full channel refused one (${statuses.join(', ')})`);
  assert.ok(statuses.every((s) => s === 200 || s === 503), statuses.join(', '));
  const headers = await curl(fullPort, json(['still full']), ['-D', '-', '-o', '/dev/null']);
  assert.equal(headers.status, 503);
  assert.match(headers.text, /^retry-after: 1\r?$/im);
});

/** A small deterministic generator, so that a failing fuzz run can be replayed from its seed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = ['[', ']', '{', '}', '"headers"', '"body"', ':', ',', '"x"', '1', 'null', 'true', '"\\u', '\\', '"', ' ', '😀', '\u0000', '[[[[[[', '{"a":'];

function fuzzBody(next: () => number): Buffer {
  const kind = Math.floor(next() * 4);
  if (kind === 0) return Buffer.from(Array.from({ length: Math.floor(next() * 512) }, () => Math.floor(next() * 256)));
  if (kind === 1) return Buffer.from(Array.from({ length: Math.floor(next() * 40) }, () => PIECES[Math.floor(next() * PIECES.length)]).join(''));
  const valid = Buffer.from(json(['fuzz'], { k: 'v' }));
  if (kind === 2) {
    const cut = Buffer.from(valid);
    for (let i = 0; i < 3; i++) cut[Math.floor(next() * cut.length)] = Math.floor(next() * 256);
    return cut;
  }
  const depth = Math.floor(next() * 30_000);
  return Buffer.from('['.repeat(depth) + (next() < 0.5 ? ']'.repeat(depth) : ''));
}

/** One request with node's client: its status, or `error` when the connection failed. */
function post(body: Buffer, contentType: string): Promise<number | 'error'> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', agent: false, headers: { 'Content-Type': contentType }, timeout: 20_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', () => resolve('error'));
    req.on('timeout', () => req.destroy());
    req.end(body);
  });
}

test('after a few hundred random bodies and raw garbage the source still answers 200 to a good request', async () => {
  const seed = Date.now() % 1_000_000;
  const next = random(seed);
  const charsets = ['application/json', 'application/json; charset=UTF-16', 'application/json; charset=utf-32le', 'text/plain; charset=bogus', 'application/json; charset='];
  const seen = new Map<string, number>();
  for (let i = 0; i < 300; i++) {
    const status = await post(fuzzBody(next), charsets[Math.floor(next() * charsets.length)]!);
    seen.set(String(status), (seen.get(String(status)) ?? 0) + 1);
    assert.ok(status === 200 || status === 400 || status === 413 || status === 415, `seed ${seed}, request ${i}: answered ${status}`);
  }
  for (let i = 0; i < 20; i++) {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve) => {
      socket.on('error', () => resolve());
      socket.on('close', () => resolve());
      socket.on('connect', () => socket.end(Buffer.from(Array.from({ length: 1 + Math.floor(next() * 300) }, () => Math.floor(next() * 256)))));
      socket.resume();
    });
  }
  console.log(`# fuzz seed ${seed}: ${[...seen].map(([s, n]) => `${n}× ${s}`).join(', ')}`);
  const good = await curl(port, json(['alive after the fuzz']));
  assert.equal(good.status, 200);
  await delivered(['alive after the fuzz']);
  assert.equal(agent.component('source:r1').restarts, 0, 'the source worker never died');
  const errors = agent
    .logLines()
    .filter((l) => l['component'] === 'r1' && typeof l['level'] === 'number' && l['level'] >= 50)
    .map((l) => l['msg']);
  assert.deepEqual(errors, ['The channels cannot take this batch; answering 500.'], 'nothing logged at error but the batch over transactionCapacity');
});
