import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { renderComponentsDoc } from './components-doc.js';
import { ALL_FACTORIES } from './registry.js';

test('docs/components.md matches the component schemas (run `npm run docs` after changing a schema)', () => {
  const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'components.md'), 'utf8');
  assert.equal(doc, renderComponentsDoc(ALL_FACTORIES));
});
