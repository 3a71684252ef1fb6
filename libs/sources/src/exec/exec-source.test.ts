import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SluiceError } from '@sluice/core';
import { execSource } from './exec-factory.js';
import { STDERR_TAIL_LINE_BYTES, STDERR_TAIL_LINES } from './exec-source.js';
import { descendantsOf, isAlive } from './process-tree.js';
import { configFor, FAKE_WINDOW, FakeChannel, fakeSourceContext, sleep, type FakeSourceContext } from '../test-support.js';
import { waitUntil } from '@sluice/testkit';

const SH = '/bin/sh -c';

function setup(values: Record<string, unknown>, ch = new FakeChannel()) {
  const ctx = fakeSourceContext(ch);
  const source = execSource.create(configFor(execSource, values), ctx);
  return { ch, ctx, source };
}

function exitRecord(ctx: FakeSourceContext) {
  return ctx.records.find((r) => r.msg === 'command exited');
}

function startedPid(ctx: FakeSourceContext): number {
  const rec = ctx.records.find((r) => r.msg === 'command started');
  assert.ok(rec, 'command started is logged');
  return rec['commandPid'] as number;
}

test('each stdout line is an event; \\r\\n and \\n are stripped; a last line without \\n is kept', async () => {
  const { ch, ctx, source } = setup({ command: "printf 'a\\nb\\r\\nc\\rd\\n\\nlast'", shell: SH });
  await source.start();
  await waitUntil(() => exitRecord(ctx) !== undefined, 'the command to exit');
  await source.stop();
  assert.deepEqual(ch.bodies(), ['a', 'b', 'c\rd', '', 'last']);
  assert.equal(exitRecord(ctx)?.level, 30, 'exit code 0 is logged at info');
  assert.equal(exitRecord(ctx)?.['code'], 0);
  assert.ok(ctx.records.some((r) => r.msg.includes('not restarting')));
});

test('without shell the command is split on whitespace; lines are batched by batchSize', async () => {
  const { ch, source } = setup({ command: '  seq  1   5 ', batchSize: 2 });
  await source.start();
  await waitUntil(() => ch.events().length === 5, 'five events');
  await source.stop();
  assert.deepEqual(ch.bodies(), ['1', '2', '3', '4', '5']);
  assert.deepEqual(
    ch.batches.map((b) => b.length),
    [2, 2, 1],
  );
  for (const e of ch.events()) assert.deepEqual(e.headers, {});
});

test('binary bytes pass through unchanged', async () => {
  const { ch, ctx, source } = setup({ command: "printf 'a\\000b\\377\\376\\200\\r\\nz\\n'", shell: SH });
  await source.start();
  await waitUntil(() => exitRecord(ctx) !== undefined, 'the command to exit');
  await source.stop();
  assert.deepEqual(
    ch.events().map((e) => [...e.body]),
    [[0x61, 0, 0x62, 0xff, 0xfe, 0x80], [0x7a]],
  );
});

test('a 10 MB line arrives whole, and the next line after it', async () => {
  const size = 10 * 1024 * 1024;
  const { ch, ctx, source } = setup({ command: `head -c ${size} /dev/zero | tr '\\000' a; echo; echo next`, shell: SH, batchSize: 1 });
  await source.start();
  await waitUntil(() => exitRecord(ctx) !== undefined, 'the command to exit', 20_000);
  await source.stop();
  const events = ch.events();
  assert.equal(events.length, 2);
  assert.equal(events[0]!.body.length, size);
  assert.equal(events[0]!.body.filter((b) => b !== 0x61).length, 0);
  assert.equal(events[1]!.body.toString(), 'next');
});

test('a line longer than maxLineLength is sent in pieces, with one warning', async () => {
  const { ch, ctx, source } = setup({ command: "printf '0123456789abcdefghijXYZ\\r\\nok\\n'", shell: SH, maxLineLength: 10 });
  await source.start();
  await waitUntil(() => exitRecord(ctx) !== undefined, 'the command to exit');
  await source.stop();
  assert.deepEqual(ch.bodies(), ['0123456789', 'abcdefghij', 'XYZ', 'ok']);
  assert.equal(ctx.records.filter((r) => r.msg.startsWith('line longer than maxLineLength')).length, 1);
});

test('a partial batch is sent after batchTimeout while the command still runs', async () => {
  const { ch, ctx, source } = setup({ command: "printf 'x\\n'; exec sleep 30", shell: SH, batchSize: 100, batchTimeout: 50 });
  await source.start();
  await waitUntil(() => ch.events().length === 1, 'the timed flush');
  assert.equal(exitRecord(ctx), undefined, 'the command has not exited');
  await source.stop();
  assert.deepEqual(ch.bodies(), ['x']);
});

test('stop kills the command and what its shell started, and flushes what was read', async () => {
  const { ch, ctx, source } = setup({ command: "printf 'one\\ntwo'; sleep 30; echo never", shell: SH, batchSize: 100 });
  await source.start();
  const shellPid = startedPid(ctx);
  let kids: number[] = [];
  await waitUntil(() => (kids = descendantsOf(shellPid)).length > 0, 'the shell to start sleep');
  await source.stop();
  assert.equal(isAlive(shellPid), false, 'the shell is gone');
  for (const k of kids) assert.equal(isAlive(k), false, `descendant ${k} is gone`);
  assert.deepEqual(ch.bodies(), ['one', 'two']);
  assert.ok(ctx.records.some((r) => r.msg === 'command stopped'));
});

test('stop() resolves once the last lines are emitted, without waiting for their commit', async () => {
  const ch = new FakeChannel();
  ch.hold();
  const { source } = setup({ command: "printf 'a\\nb\\nc'; exec sleep 30", shell: SH, batchSize: 2 }, ch);
  await source.start();
  await waitUntil(() => ch.waiting === 1, 'the first batch');
  await source.stop();
  assert.equal(ch.calls, 2, 'the partial batch was emitted at stop');
  assert.equal(ch.events().length, 0, 'nothing committed yet');
  ch.release();
  await waitUntil(() => ch.events().length === 3, 'the commits');
  assert.deepEqual(ch.bodies(), ['a', 'b', 'c']);
});

test('a command that ignores SIGTERM is killed after the grace period', async () => {
  const { ctx, source } = setup({ command: "trap '' TERM; echo ready; while :; do sleep 0.05; done", shell: SH });
  await source.start();
  const pid = startedPid(ctx);
  await waitUntil(() => descendantsOf(pid).length > 0, 'the loop to run');
  await source.stop();
  assert.equal(isAlive(pid), false);
  assert.ok(ctx.records.some((r) => r.msg.includes('SIGKILL')));
});

test('restart = true runs the command again after restartThrottle', async () => {
  const { ch, ctx, source } = setup({ command: 'echo hi', restart: true, restartThrottle: 20 });
  await source.start();
  await waitUntil(() => ch.events().length >= 3, 'three runs');
  await source.stop();
  assert.ok(ch.bodies().every((b) => b === 'hi'));
  assert.ok(ctx.records.filter((r) => r.msg === 'command started').length >= 3);
  assert.equal(exitRecord(ctx)?.['restartInMs'], 20);
});

test('a non-zero exit is logged at warn with its code', async () => {
  const { ctx, source } = setup({ command: 'exit 3', shell: SH });
  await source.start();
  await waitUntil(() => exitRecord(ctx) !== undefined, 'the command to exit');
  await source.stop();
  assert.equal(exitRecord(ctx)?.level, 40);
  assert.equal(exitRecord(ctx)?.['code'], 3);
});

test('a command that fails logs its code and its last stderr lines at warn, without logStdErr', async () => {
  const command = `for i in $(seq 1 ${STDERR_TAIL_LINES + 5}); do echo "err $i" >&2; done; printf '%0${STDERR_TAIL_LINE_BYTES + 100}d\\n' 0 >&2; exit 2`;
  const { ch, ctx, source } = setup({ command, shell: SH });
  await source.start();
  await waitUntil(() => exitRecord(ctx) !== undefined, 'the command to exit');
  await source.stop();
  const exit = exitRecord(ctx)!;
  assert.equal(exit.level, 40);
  assert.equal(exit['code'], 2);
  const tail = exit['stderr'] as string[];
  assert.equal(tail.length, STDERR_TAIL_LINES, 'only the last lines are kept');
  assert.equal(tail[0], 'err 7');
  assert.equal(tail.at(-1), '0'.repeat(STDERR_TAIL_LINE_BYTES) + '…', 'a long line is cut');
  assert.equal(ctx.records.filter((r) => r.msg === 'command stderr').length, 0, 'no line logged on its own');
  assert.deepEqual(ch.bodies(), []);
});

test('a mistyped command is logged with the shell’s complaint', async () => {
  const { ctx, source } = setup({ command: 'no-such-command-here --flag', shell: SH });
  await source.start();
  await waitUntil(() => exitRecord(ctx) !== undefined, 'the command to exit');
  await source.stop();
  assert.equal(exitRecord(ctx)?.level, 40);
  assert.equal(exitRecord(ctx)?.['code'], 127);
  assert.match(String((exitRecord(ctx)?.['stderr'] as string[])[0]), /no-such-command-here/);
});

test('logStdErr logs stderr lines at info; they are not events', async () => {
  const { ch, ctx, source } = setup({ command: 'echo out; echo oops >&2', shell: SH, logStdErr: true });
  await source.start();
  await waitUntil(() => exitRecord(ctx) !== undefined, 'the command to exit');
  await source.stop();
  assert.deepEqual(ch.bodies(), ['out']);
  const rec = ctx.records.find((r) => r.msg === 'command stderr');
  assert.equal(rec?.['line'], 'oops');
  assert.equal(rec?.level, 30);
});

test('a command that cannot be started makes start() reject with a clear message', async () => {
  const { source } = setup({ command: 'sluice-no-such-command-xyz --flag' });
  await assert.rejects(source.start(), (err: unknown) => {
    assert.ok(err instanceof SluiceError);
    assert.match(err.message, /cannot run command "sluice-no-such-command-xyz --flag": .*ENOENT/);
    return true;
  });
});

test('back-pressure: while emits wait, reading pauses and the command blocks; nothing is lost', async () => {
  const total = 200_000;
  const ch = new FakeChannel();
  ch.hold();
  const { ctx, source } = setup({ command: `seq 1 ${total}`, batchSize: 1000 }, ch);
  await source.start();
  try {
    await waitUntil(() => ch.waiting >= FAKE_WINDOW, `${FAKE_WINDOW} emits in flight`);
    // Give the command every chance to finish if reading did not pause.
    await sleep(300);
    assert.equal(exitRecord(ctx), undefined, 'the command is blocked on its pipe');
    const received = ctx.counters.get('EventReceivedCount');
    assert.ok(received < 50_000, `only a bounded number of lines were read (${received})`);
  } finally {
    ch.release(); // a failed assertion must not leave the command blocked (the test file would never exit)
  }
  await waitUntil(() => ch.events().length === total, 'every line', 20_000);
  await source.stop();
  const bodies = ch.bodies();
  for (let i = 0; i < total; i++) if (bodies[i] !== String(i + 1)) assert.fail(`line ${i + 1} is ${bodies[i]}`);
});

test('check() rejects an empty command and a UTF-16 charset', () => {
  const base = configFor(execSource, { command: 'x' });
  assert.deepEqual(execSource.check!({ ...base, command: '  ' }), ['command: must not be empty']);
  assert.match(execSource.check!({ ...base, charset: 'UTF-16LE' })[0]!, /charset: UTF-16LE is not supported/);
  assert.deepEqual(execSource.check!({ ...base, charset: 'ISO-8859-1' }), []);
});
