#!/usr/bin/env node
// Runs the compiled tests with node's test runner: unit tests (next to the code, in parallel),
// then the end-to-end suites in test/ one file at a time (they share the machine's cores).
// Each run's TAP goes to stdout as it comes; the last line is one summary for the whole suite
// (`N passed, N failed, N skipped`), after the reason of every skipped test.
// Usage: node scripts/run-tests.mjs [--unit | --e2e] [name-filter ...]   (a file runs if its path
// contains any of the filters)
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const args = process.argv.slice(2);
const only = args.find((a) => a === '--unit' || a === '--e2e');
const filters = args.filter((a) => !a.startsWith('--'));

function findTests(dir, out = []) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (name === 'node_modules') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) findTests(path, out);
    else if (name.endsWith('.test.js') && (filters.length === 0 || filters.some((f) => path.includes(f)))) out.push(path);
  }
  return out.sort();
}

const unit = [...findTests('libs'), ...findTests('apps')].filter((p) => p.includes('/dist/'));
const e2e = findTests('test/dist/e2e');

// A test that hangs fails past these bounds instead of holding the run until CI's own limit.
const UNIT_TIMEOUT_MS = 120_000;
const E2E_TIMEOUT_MS = 900_000;

const totals = { pass: 0, fail: 0, skipped: 0, cancelled: 0, todo: 0 };
const skips = [];
const failures = [];

/** Runs one `node --test` over `files`, passing its TAP through and adding its top-level counts to the totals. */
function run(label, files, concurrency, timeoutMs) {
  if (files.length === 0) return Promise.resolve(0);
  const args = ['--test', '--test-reporter=tap', `--test-concurrency=${concurrency}`, `--test-timeout=${timeoutMs}`, ...files];
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    process.stdout.write(line + '\n');
    const count = /^# (pass|fail|skipped|cancelled|todo) (\d+)$/.exec(line);
    if (count) totals[count[1]] += Number(count[2]);
    const skip = /^\s*ok \d+ - (.*) # SKIP ?(.*)$/.exec(line);
    if (skip) skips.push(`${label}: ${skip[1]}${skip[2] ? ` (${skip[2]})` : ''}`);
    const fail = /^\s*not ok \d+ - (.*?)( # .*)?$/.exec(line);
    if (fail && !/\.test\.js$/.test(fail[1])) failures.push(`${label}: ${fail[1]}`);
  });
  return new Promise((resolve) => child.on('close', (code) => resolve(code ?? 1)));
}

if (unit.length + e2e.length === 0) {
  console.error(filters.length > 0 ? `no compiled test file matches ${filters.join(', ')} (did \`npm run build\` run?)` : 'no test files found: run `npm run build` first');
  process.exit(1);
}
let status = 0;
const notRun = [];
if (only !== '--e2e') status ||= await run('unit', unit, 2, UNIT_TIMEOUT_MS);
if (only !== '--unit') {
  if (status === 0) status ||= await run('e2e', e2e, 1, E2E_TIMEOUT_MS);
  else if (e2e.length > 0) notRun.push(`${e2e.length} end-to-end files not run: the unit tests failed`);
}
for (const s of skips) console.log(`skipped: ${s}`);
for (const f of failures) console.log(`failed: ${f}`);
for (const n of notRun) console.log(n);
const extra = totals.cancelled > 0 ? `, ${totals.cancelled} cancelled` : '';
console.log(`${totals.pass} passed, ${totals.fail} failed, ${totals.skipped} skipped${extra}`);
if (status === 0 && totals.fail + totals.cancelled > 0) status = 1;
process.exit(status);
