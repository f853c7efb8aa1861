#!/usr/bin/env node
// Makes `npm start` and `npm test` work on a fresh clone: installs the npm packages when they are
// missing (including nodejs-polars' native binary, which npm can skip). Plain Node, no dependencies.
const { execSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const dev = process.argv.includes('--dev');
const needed = dev ? ['tsx', 'vitest', '@temporalio/testing', 'eslint', 'typescript-eslint', 'prettier'] : ['tsx'];

function installed() {
  try {
    for (const name of [...needed, '@temporalio/worker']) require.resolve(name, { paths: [root] });
    require(require.resolve('nodejs-polars', { paths: [root] })); // loads the native binary
    // The bench's DuckDB baseline and its test: a clone installed before it was added reinstalls.
    if (dev) require(require.resolve('@duckdb/node-api', { paths: [root] }));
    return true;
  } catch {
    return false;
  }
}

if (!installed()) {
  const command = existsSync(path.join(root, 'package-lock.json')) ? 'npm ci' : 'npm install';
  process.stderr.write(`tributary: installing npm packages (${command})...\n`);
  execSync(command, { cwd: root, stdio: 'inherit' });
  if (!installed()) {
    process.stderr.write(
      'tributary: npm packages are still missing after install. nodejs-polars needs the native package for ' +
        `this platform (${process.platform}-${process.arch}; nodejs-polars-linux-x64-gnu on Linux x64): ` +
        'nodejs-polars 0.26.1 has them for linux-x64 and darwin-x64 only (see docs/development.md, platforms).\n',
    );
    process.exit(1);
  }
}
