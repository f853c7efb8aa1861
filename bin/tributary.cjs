#!/usr/bin/env node
// Entry point of the `tributary` command: the TypeScript sources, compiled once per version of them
// (bin/cliBundle.cjs), no build step to run by hand.
const { loadCli } = require('./cliBundle.cjs');

function fail(err) {
  const message = `tributary: ${err && err.message ? err.message : err}`;
  const json = process.env.TRIBUTARY_LOG_FORMAT === 'json';
  const line = json ? JSON.stringify({ time: new Date().toISOString(), level: 'ERROR', message }) : message;
  process.stderr.write(`${line}\n`);
  process.exitCode = 1;
}

loadCli()
  .then((cli) =>
    cli.main(process.argv.slice(2)).then((code) => {
      process.exitCode = code;
    }),
  )
  .catch(fail);
