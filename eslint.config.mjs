// Lint: promises that are never awaited or handed to code that ignores them, and the layers of DESIGN.md held
// by rule — workflow code is deterministic (no Node built-ins, no I/O modules: it runs in Temporal's sandbox),
// core/ knows no Temporal, serving, activities, workflows or CLI.
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [...builtinModules.filter((m) => !m.startsWith('_')), ...builtinModules.map((m) => `node:${m}`)];

// Modules that do I/O or need a real Node process: never loaded into the workflow sandbox.
const ioModules = [
  'pg',
  'minio',
  '@duckdb/node-api',
  'onnxruntime-node',
  '@grpc/grpc-js',
  '@grpc/proto-loader',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/activity',
  '@temporalio/testing',
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'trainers/**', 'test/histories/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { project: ['./tsconfig.test.json'], tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  {
    files: ['workflows/**/*.ts', 'test/support/workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [...nodeBuiltins, ...ioModules].map((name) => ({
            name,
            message: 'workflow code runs in the Temporal sandbox: no Node built-ins and no I/O; do it in an activity',
          })),
          patterns: [
            {
              group: [
                '**/activities',
                '**/activities/**',
                '**/serving/**',
                '**/starters/**',
                '**/infra/**',
                '**/core/store',
                '**/core/store/**',
                '**/core/data/duckdb',
              ],
              allowTypeImports: true,
              message: 'workflow code imports activities, stores, serving, infra and the CLI as types only (import type)',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['core/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/serving', '**/serving/**', '**/activities', '**/activities/**', '**/workflows', '**/workflows/**', '**/starters/**', '**/infra/**'],
              message: 'core/ is the domain layer: serving, activities, workflows, infra and the CLI stand on it, not the other way round',
            },
            { group: ['@temporalio/*'], message: 'core/ knows no Temporal: adapt it in activities/' },
          ],
        },
      ],
    },
  },
);
