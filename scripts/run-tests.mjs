#!/usr/bin/env node
// Runs the compiled tests with node's test runner: unit tests (next to the code, in parallel),
// then the end-to-end suites in test/ one file at a time (they share the machine's cores).
// Usage: node scripts/run-tests.mjs [--unit | --e2e] [name-filter ...]   (a file runs if its path
// contains any of the filters)
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

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

function run(files, concurrency) {
  if (files.length === 0) return 0;
  const res = spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, ...files], { stdio: 'inherit' });
  return res.status ?? 1;
}

let status = 0;
if (only !== '--e2e') status ||= run(unit, 2);
if (only !== '--unit' && status === 0) status ||= run(e2e, 1);
if (unit.length + e2e.length === 0) {
  console.error('no test files found: run `npm run build` first');
  status = 1;
}
process.exit(status);
