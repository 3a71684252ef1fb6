import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CHANNEL_HEAP_OPTION, workerExecArgv } from './worker-spec.js';

test('a channel worker gets the heap option before the agent\'s own node options', () => {
  assert.deepEqual(workerExecArgv('channel', ['--enable-source-maps']), [CHANNEL_HEAP_OPTION, '--enable-source-maps']);
});

test('sources and sink groups are forked with the agent\'s node options only', () => {
  assert.deepEqual(workerExecArgv('source', ['--enable-source-maps']), ['--enable-source-maps']);
  assert.deepEqual(workerExecArgv('sink', []), []);
});

test('an operator who sets the option, on the command line or in NODE_OPTIONS, keeps their value', () => {
  assert.deepEqual(workerExecArgv('channel', ['--initial-old-space-size=512']), ['--initial-old-space-size=512']);
  assert.deepEqual(workerExecArgv('channel', [], '--max-old-space-size=900 --initial-old-space-size=64'), []);
  assert.deepEqual(workerExecArgv('channel', [], '--max-old-space-size=900'), [CHANNEL_HEAP_OPTION]);
});
