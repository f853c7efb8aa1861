#!/usr/bin/env node
// `npm test`: the static checks (tsc, eslint, prettier) side by side, then vitest, as
// `tsc && eslint && prettier && vitest` did one after the other: the checks are single-threaded and
// independent, so on two cores they take the time of the slowest instead of their sum. Each check's
// output is printed whole when it ends, under its command line and time; if any fails, vitest does
// not start and the exit code is 1. Arguments go to vitest (`npm test -- test/spec.test.ts`).
// Plain Node, no dependencies.
const { spawn } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const bin = (pkg, file) => path.join(path.dirname(require.resolve(`${pkg}/package.json`, { paths: [root] })), file);

const CHECKS = [
  { name: 'tsc --noEmit -p .', argv: [bin('typescript', 'bin/tsc'), '--noEmit', '-p', '.'] },
  { name: 'eslint .', argv: [bin('eslint', 'bin/eslint.js'), '.'] },
  { name: 'prettier --check .', argv: [bin('prettier', 'bin/prettier.cjs'), '--check', '.'] },
];

/** Runs `node <argv>` in the project folder; resolves with its exit code and its output (stdout and stderr as they came). */
function check({ name, argv }) {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, argv, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', (err) => resolve({ name, code: 1, output: `${output}${err.message}\n`, started }));
    child.on('close', (code, signal) => resolve({ name, code: code ?? 1, signal, output, started }));
  });
}

function report({ name, code, signal, output, started }) {
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const outcome = code === 0 ? 'ok' : `FAILED (${signal ? `signal ${signal}` : `exit code ${code}`})`;
  process.stdout.write(`\n> ${name}: ${outcome}, ${seconds} s\n${output.trimEnd()}${output.trim() ? '\n' : ''}`);
}

async function main() {
  process.stdout.write(`Static checks, side by side: ${CHECKS.map((c) => c.name).join(', ')}\n`);
  const results = await Promise.all(
    CHECKS.map((c) =>
      check(c).then((result) => {
        report(result);
        return result;
      }),
    ),
  );
  const failed = results.filter((r) => r.code !== 0).map((r) => r.name);
  if (failed.length > 0) {
    process.stdout.write(`\nnpm test: ${failed.join(', ')} failed; the tests were not run.\n`);
    return 1;
  }
  process.stdout.write('\n> vitest run\n');
  const vitest = spawn(process.execPath, [bin('vitest', 'vitest.mjs'), 'run', ...process.argv.slice(2)], {
    cwd: root,
    stdio: 'inherit',
  });
  return new Promise((resolve) => vitest.on('close', (code) => resolve(code ?? 1)));
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`npm test: ${err.stack ?? err}\n`);
    process.exitCode = 1;
  },
);
