import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { decodeBatch } from '@sluice/core';
import { makeStore, tempDir, testOptions } from '../testing/file-fixtures.js';

const roots: string[] = [];
after(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

interface Round {
  committed: number[];
  ackIssued: Map<string, number[]>;
  acked: Set<string>;
  attempted: number;
}

/** Runs the child until it has reported `commits` commits, then SIGKILLs it; returns what it said. */
function runChild(optionsJson: string, start: number, commits: number): Promise<Round> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, '..', 'testing', 'crash-child.js'), optionsJson, String(start)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const round: Round = { committed: [], ackIssued: new Map(), acked: new Set(), attempted: 0 };
    let buffered = '';
    let seen = 0;
    const guard = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        const [kind, a, b] = line.split(' ');
        if (kind === 'committed') {
          for (let i = 0; i < Number(b); i++) round.committed.push(Number(a) + i);
          if (++seen === commits) child.kill('SIGKILL');
        } else if (kind === 'acking') round.ackIssued.set(a!, b ? b.split(',').map(Number) : []);
        else if (kind === 'acked') round.acked.add(a!);
        else if (kind === 'error') reject(new Error(line));
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      if (signal !== 'SIGKILL') reject(new Error(`child exited with ${code ?? signal} before the kill`));
      else resolve(round);
    });
  });
}

test('SIGKILL at random moments: every acknowledged commit survives, acknowledged acks stay done', async () => {
  const root = tempDir();
  roots.push(root);
  // Small segments and frequent checkpoints so that kills land during rolls and checkpoints too.
  const options = testOptions(root, { capacity: 100_000, maxFileSize: 32 * 1024, checkpointIntervalMs: 50 });
  const json = JSON.stringify(options);
  let present = new Set<number>(); // exactly what the channel holds after the last verified restart
  const gone = new Set<number>(); // events that must never come back
  for (let r = 0; r < 6; r++) {
    const start = (r + 1) * 1_000_000;
    const commits = 20 + Math.floor(Math.random() * 150);
    const round = await runChild(json, start, commits);

    const acked = new Set<number>();
    const ackIssued = new Set<number>();
    for (const [id, events] of round.ackIssued) {
      for (const e of events) ackIssued.add(e);
      if (round.acked.has(id)) for (const e of events) acked.add(e);
    }
    const { store } = makeStore(options);
    await store.open();
    const got = await store.take('verify', 1_000_000);
    const restored = got ? decodeBatch(got.bytes).map((e) => Number(e.body.toString())) : [];
    for (let i = 1; i < restored.length; i++) assert.ok(restored[i - 1]! < restored[i]!, `order and no duplicates at ${i}`);
    const restoredSet = new Set(restored);
    for (const e of [...present, ...round.committed]) {
      if (!ackIssued.has(e)) assert.ok(restoredSet.has(e), `round ${r}: committed event ${e} lost`);
    }
    for (const e of [...acked, ...gone]) assert.ok(!restoredSet.has(e), `round ${r}: acknowledged event ${e} came back`);
    for (const e of restored) {
      assert.ok(present.has(e) || (e >= start && e < start + 1_000_000), `round ${r}: event ${e} was never committed`);
    }
    for (const e of [...present, ...round.committed, ...ackIssued]) if (!restoredSet.has(e)) gone.add(e);
    present = restoredSet;
    assert.equal(store.size, restored.length);
    await store.close(); // the lease is dropped: everything is queued again for the next round
  }
});
