import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Integration files isolate themselves (own schema, bucket prefix, task queue), so files run in parallel.
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'services',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/workflows/**'],
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
      // The workflows suite: a time-skipping test server per file, the workflows bundled once per run.
      { extends: true, test: { name: 'workflows', include: ['test/workflows/**/*.test.ts'], globalSetup: ['test/workflows/global-setup.ts'] } },
    ],
  },
});
