#!/usr/bin/env node
// Entry point of the `tributary` command: runs the TypeScript sources through tsx (no build step).
require('tsx/cjs');
require('../cli/main.ts')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  })
  .catch((err) => {
    const message = `tributary: ${err && err.message ? err.message : err}`;
    const json = process.env.TRIBUTARY_LOG_FORMAT === 'json';
    const line = json ? JSON.stringify({ time: new Date().toISOString(), level: 'ERROR', message }) : message;
    process.stderr.write(`${line}\n`);
    process.exitCode = 1;
  });
