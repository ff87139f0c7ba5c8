// Once per run of the suites on the real stack: a directory where the first test worker leaves the bundle
// of test/support/workflows, so the other files' workers reuse it instead of bundling it again.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where test/support/worker.ts keeps the bundled test workflows for this run. */
    testBundleDir: string;
  }
}

export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mlops-test-bundle-'));
  project.provide('testBundleDir', dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
