// @ts-check
/**
 * Lint rules. typescript-eslint reads the types, so it catches what tsc lets through: a promise that
 * nobody awaits (a workflow or activity call that silently never happens). A fence around
 * workflows/ keeps workflow code deterministic and free of side effects: no Node built-ins, no
 * polars, no activity code (types only), no imports run for their side effects. Formatting is
 * Prettier's job (.prettierrc.json); eslint-config-prettier turns off the rules that would fight it.
 */
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import prettier from 'eslint-config-prettier/flat';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const WORKFLOW_SANDBOX =
  'Workflow code runs in a deterministic sandbox and is replayed: do I/O, clocks of the host and native code in ' +
  'an activity, and call it through proxyActivities.';

export default defineConfig(
  globalIgnores(['bench/results/', 'test/history_files/', 'coverage/', '.tributary/']),
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'inline-type-imports', disallowTypeAnnotations: true },
      ],
      // `_name` marks a value left out on purpose (a rest sibling, an unused callback argument).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // An async function without await is how this code implements a Promise-returning interface (a payload
      // codec, a test's fake activity); it also turns a throw into a rejection. Not a bug.
      '@typescript-eslint/require-await': 'off',
      // Passing on a caught error (`err => Promise.reject(tag(err))`) is a rethrow, as `throw err` is.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
    },
  },
  {
    // vitest's asymmetric matchers (`expect.stringContaining(...)` inside `toMatchObject({...})`) are typed `any`.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-unsafe-assignment': 'off' },
  },
  {
    // Tests, benchmarks and scripts drive the SDK's test kit (MockActivityEnvironment.run returns
    // unknown, so results are asserted to their type), pass Temporal's proto helpers and Node's
    // assert functions around unbound (they use no `this`), and read values back out of a page in
    // Chromium and out of polars frames, which are typed any. Production code keeps these rules.
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-redundant-type-constituents': 'off',
      'preserve-caught-error': 'off',
    },
  },
  {
    // Plain JavaScript (bin/*.cjs, this file) is outside tsconfig: lint it without types.
    files: ['**/*.{js,cjs,mjs}'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The fence around workflow code. Temporal's bundler also refuses Node built-ins that a workflow reaches
    // through another module, but only when a worker starts; this says so at the import, for imports from
    // workflows/ itself. Math.random, Date.now and timers need no rule: the sandbox makes them deterministic.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: builtinModules.map((name) => ({ name, message: `A Node built-in. ${WORKFLOW_SANDBOX}` })),
          patterns: [
            { group: ['node:*'], message: `A Node built-in. ${WORKFLOW_SANDBOX}` },
            {
              group: [
                'nodejs-polars',
                'nodejs-polars/**',
                'hyparquet',
                'hyparquet/**',
                '@temporalio/activity',
                '@temporalio/client',
                '@temporalio/worker',
                '@temporalio/testing',
                '@temporalio/envconfig',
                '@opentelemetry/sdk-*',
                '@opentelemetry/exporter-*',
                '@opentelemetry/context-async-hooks',
              ],
              message: `Not for workflow code (I/O, native code or a process-wide side effect). ${WORKFLOW_SANDBOX}`,
            },
            {
              // Worker-side code: activities, metrics (polars), the runtime, CLI and worker wiring.
              group: [
                '**/activities',
                '**/activities/**',
                '**/metrics',
                '**/metrics/**',
                '**/runtime/**',
                '**/cli/**',
                '**/workers/**',
                '**/datagen/**',
              ],
              allowTypeImports: true,
              message:
                'Workflows import worker-side code (activities, metrics, runtime) as types only: ' +
                '`import type { Activities }` and proxyActivities<Activities>(...).',
            },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "ImportDeclaration[importKind='value'][specifiers.length=0]",
          message: `An import for its side effects: workflow modules import names, never run code on load. ${WORKFLOW_SANDBOX}`,
        },
        {
          selector: 'ImportExpression',
          message: `A dynamic import. Workflow code is bundled ahead of time; import statically.`,
        },
        {
          selector: "CallExpression[callee.name='require']",
          message: `require() in workflow code. Import statically, and only what the sandbox allows.`,
        },
      ],
    },
  },
  prettier,
);
