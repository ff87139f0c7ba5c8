#!/usr/bin/env node
'use strict';
// Launcher: runs the compiled CLI (built by `npm ci` through the prepare script, or `npm run build`).
const path = require('node:path');
const fs = require('node:fs');
const entry = path.join(__dirname, '..', 'dist', 'starters', 'mlops.js');
if (!fs.existsSync(entry)) {
  console.error('mlops: not built yet: run `npm ci` (or `npm run build`) in ' + path.join(__dirname, '..'));
  process.exit(1);
}
require(entry).cli(process.argv.slice(2));
