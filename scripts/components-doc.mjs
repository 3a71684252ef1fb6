#!/usr/bin/env node
// Writes docs/components.md from the component schemas (`npm run docs`; needs `npm run build`).
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { ALL_FACTORIES, renderComponentsDoc } = require('@sluice/runtime');
writeFileSync(new URL('../docs/components.md', import.meta.url), renderComponentsDoc(ALL_FACTORIES));
console.log('wrote docs/components.md');
