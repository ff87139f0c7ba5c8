// The level-2 unit test gate on a real vitest run: MLOPS_PIPELINE_UNIT_TESTS chooses the files, and a
// choice that runs nothing rejects the version instead of passing it.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runUnitTests } from '../../infra/pipeline-build';
import { projectRoot } from '../../infra/paths';

let dir: string;

beforeAll(() => {
  // A checkout of a pipeline version, as far as its unit tests go: test files and the dependencies.
  dir = mkdtempSync(path.join(os.tmpdir(), 'mlops-unit-gate-'));
  symlinkSync(path.join(projectRoot(), 'node_modules'), path.join(dir, 'node_modules'));
  mkdirSync(path.join(dir, 'test', 'unit'), { recursive: true });
  const file = (name: string, body: string): void => writeFileSync(path.join(dir, 'test', 'unit', name), `import { expect, it } from 'vitest';\n${body}\n`);
  file('sum.test.ts', "it('adds', () => expect(1 + 1).toBe(2));\nit('adds zero', () => expect(1 + 0).toBe(1));");
  file('slow.test.ts', "it('is not chosen', () => expect(true).toBe(false));");
  file('zz-broken.test.ts', "it('adds up', () => expect(1 + 1).toBe(3));");
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('runUnitTests', () => {
  it('runs only the files the filters choose, and names the failing test and the filters', async () => {
    const filters = ['test/unit/sum.test.ts', 'test/unit/zz-broken'];
    const report = await runUnitTests(dir, filters, () => undefined);
    expect(report).toMatchObject({ passed: 2, failed: 1, failures: ['test/unit/zz-broken.test.ts › adds up'], filters });
  }, 60_000);

  it('fails a version on which no test ran, naming the filters', async () => {
    const report = await runUnitTests(dir, ['test/unit/missing.test.ts'], () => undefined);
    expect(report).toMatchObject({ passed: 0, failed: 1, filters: ['test/unit/missing.test.ts'] });
    expect(report.failures).toEqual([
      'no unit test ran: MLOPS_PIPELINE_UNIT_TESTS (test/unit/missing.test.ts) matches no test file of this version, or only skipped tests',
    ]);
  }, 60_000);
});
