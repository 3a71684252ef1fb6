import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { renderComponentsDoc } from './components-doc.js';
import { ALL_FACTORIES } from './registry.js';

test('docs/components.md matches the component schemas (run `npm run docs` after changing a schema)', () => {
  const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'components.md'), 'utf8');
  assert.equal(doc, renderComponentsDoc(ALL_FACTORIES));
});

test('an enum renders its values separated by an escaped bar, no stray backslash', () => {
  const doc = renderComponentsDoc(ALL_FACTORIES);
  assert.match(doc, /\| `compression-type` \| none \\\| deflate \| `none` \|/);
  assert.doesNotMatch(doc, /\\\\/, 'no doubled backslash anywhere');
});

test("README's Layout names every doc in docs/", () => {
  const root = join(__dirname, '..', '..', '..');
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const layout = readme.slice(readme.indexOf('## Layout'));
  for (const doc of readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md'))) {
    assert.ok(layout.includes(`\`${doc}\``), `README's Layout names ${doc}`);
  }
});
