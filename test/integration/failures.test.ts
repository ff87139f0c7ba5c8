// Failures a user can act on, on a real worker: a bug in generated SQL fails its stage for good after two more
// attempts as "internal error in <stage>" (recorded in lineage), and `mlops run ct --wait` names the root cause.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStage } from '../../activities/stage';
import { withDuckDB } from '../../core/data/duckdb';
import { mlopsAsync } from '../support/cli';
import { isolatedStores } from '../support/isolated-stores';
import { expectFailure, startTestWorker, type TestWorker } from '../support/worker';

let s: Awaited<ReturnType<typeof isolatedStores>>;
let w: TestWorker;
let attempts = 0;
const dir = mkdtempSync(path.join(os.tmpdir(), 'mlops-failures-'));

beforeAll(async () => {
  s = await isolatedStores('failures');
  w = await startTestWorker(s, 'failures', {
    extraActivities: {
      failingStage: (sql: string) =>
        runStage(s.lineage, 'validate', 'broken', async () => {
          attempts++;
          await withDuckDB((conn) => conn.run(sql));
          return { result: undefined };
        }),
    },
  });
}, 120_000);

afterAll(async () => {
  await w?.stop();
  await s.drop();
});

describe('failures a user can act on', () => {
  it('fails a stage whose SQL does not bind after two more attempts, as an internal error recorded in lineage', async () => {
    const workflowId = `broken-${randomBytes(4).toString('hex')}`;
    const failure = await expectFailure(w.client.workflow.execute('stageFailure', { taskQueue: w.taskQueue, workflowId, args: ['SELECT b, count(*) FROM range(3) t(a) GROUP BY a'] }));
    expect(failure).toMatchObject({ type: 'InternalError', nonRetryable: true });
    expect(failure.message).toMatch(/^internal error in validate: Binder Error: /);
    expect(attempts).toBe(3);
    const rows = await s.pool.query(`SELECT status, error FROM executions WHERE stage = 'validate' AND key LIKE $1`, [`${workflowId}/%`]);
    expect(rows.rows).toEqual([{ status: 'failed', error: expect.stringMatching(/^Binder Error/) }]);
  });

  it('`mlops run ct --wait` on one-letter columns with a constant target exits 2 naming target_constant', async () => {
    const csv = path.join(dir, 'letters.csv');
    writeFileSync(csv, ['a,b,c', ...Array.from({ length: 40 }, (_, i) => `${i % 7},${(i * 13) % 11},same`)].join('\n') + '\n');
    const env = { MLOPS_TASK_QUEUE: w.taskQueue, MLOPS_DB_SCHEMA: s.schema, MLOPS_S3_PREFIX: s.artifacts.prefix };
    const out = await mlopsAsync(['run', 'ct', '--data', csv, '--target', 'c', '--name', `letters${randomBytes(3).toString('hex')}`, '--wait'], env);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/failed \(ValidationFailed\):[\s\S]*column "c": target_constant/);
    expect(out.stderr).not.toContain('Activity task failed');
  });
});
