// Level-2 builds on a worker that lacks what they need: the user reads which tool is missing and where, not
// "main is not a commit" from a git that never ran.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BuildError, resolveRef, run } from '../../infra/pipeline-build';
import { projectRoot } from '../../infra/paths';

const empty = mkdtempSync(path.join(os.tmpdir(), 'mlops-no-tools-'));
afterAll(() => rmSync(empty, { recursive: true, force: true }));

describe('level-2 build steps', () => {
  it('names a command the worker does not have', async () => {
    const missing = run('mlops-no-such-tool', ['--version'], { cwd: empty });
    await expect(missing).rejects.toBeInstanceOf(BuildError);
    await expect(missing).rejects.toThrow(/^mlops-no-such-tool is not installed on worker \d+@\S+ \(not on its PATH\): level 2 builds need git, node and npm$/);
  });

  it('names a missing directory', async () => {
    await expect(run('git', ['status'], { cwd: path.join(empty, 'gone') })).rejects.toThrow(/mlops-no-tools-\w+\/gone does not exist on worker \d+@/);
  });

  it('says git is missing when a ref is resolved without git', async () => {
    const saved = process.env.PATH;
    process.env.PATH = empty;
    try {
      await expect(resolveRef(projectRoot(), 'main')).rejects.toThrow(/^git is not installed on worker/);
    } finally {
      process.env.PATH = saved;
    }
  });

  it('still reports a non-zero exit as an exit code', async () => {
    const out = await run('git', ['rev-parse', '--verify', '--quiet', 'no-such-ref-anywhere'], { cwd: projectRoot() });
    expect(out.code).not.toBe(0);
    await expect(resolveRef(projectRoot(), 'no-such-ref-anywhere')).rejects.toThrow(/no-such-ref-anywhere is not a commit of the repository/);
  });
});
