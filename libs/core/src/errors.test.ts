import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ERROR_CODES } from './errors.js';

test('every error code is documented in docs/errors.md', () => {
  const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'errors.md'), 'utf8');
  for (const code of Object.keys(ERROR_CODES)) assert.match(doc, new RegExp('`' + code + '`'), `${code} is missing from docs/errors.md`);
});
