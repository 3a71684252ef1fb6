#!/usr/bin/env node
// The `sluice` command. It runs the compiled CLI in ../dist; this file exists before the build so
// that `npm ci` can link it into node_modules/.bin.
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const main = join(__dirname, '..', 'dist', 'main.js');
if (!existsSync(main)) {
  process.stderr.write(`sluice: ${main} does not exist: run \`npm run build\` in the Sluice checkout first.\n`);
  process.exit(1);
}
require(main);
