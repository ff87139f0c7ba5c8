import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeOrphans } from '../../../core/data/source-cache';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'mlops-orphans-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('source cache directories', () => {
  it("removes the copies of workers that are gone and keeps a running process's", () => {
    const dirs = {
      gone: path.join(tmp, 'mlops-source-cache-4194305'),
      self: path.join(tmp, `mlops-source-cache-${process.pid}`),
      parent: path.join(tmp, `mlops-source-cache-${process.ppid}`),
      other: path.join(tmp, 'mlops-source-cache-notapid'),
    };
    for (const d of Object.values(dirs)) mkdirSync(d);
    removeOrphans(tmp);
    expect(Object.fromEntries(Object.entries(dirs).map(([k, d]) => [k, existsSync(d)]))).toEqual({ gone: false, self: true, parent: true, other: true });
  });
});
