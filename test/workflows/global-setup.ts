// Once per run of the workflows suite: the time-skipping test server installed (scripts/setup.mjs, quick when
// cached) and the product's workflows bundled; every test file reuses both.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The launcher @temporalio/testing starts the test server with. */
    testServer: string;
    /** The product's workflows (workflows/index.ts), bundled once. */
    workflowBundle: string;
  }
}

const root = path.join(__dirname, '..', '..');

export default async function setup(project: TestProject): Promise<() => void> {
  const installed = spawnSync('node', [path.join(root, 'scripts', 'setup.mjs'), '--test-server'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const launcher = installed.stdout.trim().split('\n').pop();
  if (installed.status !== 0 || !launcher)
    throw new Error('the time-skipping test server is not installed and `node scripts/setup.mjs --test-server` could not install it (see above)');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mlops-wf-bundle-'));
  const bundle = path.join(dir, 'workflows.js');
  const { code } = await bundleWorkflowCode({ workflowsPath: path.join(root, 'workflows', 'index.ts'), logger: new DefaultLogger('WARN') });
  writeFileSync(bundle, code);
  project.provide('testServer', launcher);
  project.provide('workflowBundle', bundle);
  return () => rmSync(dir, { recursive: true, force: true });
}
