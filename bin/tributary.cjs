#!/usr/bin/env node
// Entry point of the `tributary` command: runs the TypeScript sources through tsx (no build step).
require('tsx/cjs');
require('../cli/main.ts')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  })
  .catch((err) => {
    process.stderr.write(`tributary: ${err && err.message ? err.message : err}\n`);
    process.exitCode = 1;
  });
