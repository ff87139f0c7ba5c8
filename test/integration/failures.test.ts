// Failures a user can act on, on a real worker: a bug in generated SQL fails its stage for good after two more
// attempts as "internal error in <stage>" (recorded in lineage); `mlops run ct --wait` and the status query name the
// root cause; a deploy waiting for a model server that never loads the model fails with the wait's own message.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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
import { waitFor } from '../support/wait';
import { ctWorkflowId, retrainSignal, statusQuery, workflows } from '../../workflows/contracts';

let s: Awaited<ReturnType<typeof isolatedStores>>;
let w: TestWorker;
let attempts = 0;
let neverReady: Server;
const weather = path.join(__dirname, '..', '..', 'node_modules', 'vega-datasets', 'data', 'seattle-weather.csv');
const dir = mkdtempSync(path.join(os.tmpdir(), 'mlops-failures-'));

beforeAll(async () => {
  s = await isolatedStores('failures');
  // A model server that follows this registry but never loads anything.
  neverReady = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(req.url === '/v1/models' ? { registry: s.schema, models: [] } : { version: 0 }));
  });
  await new Promise<void>((r) => neverReady.listen(0, '127.0.0.1', r));
  w = await startTestWorker(s, 'failures', {
    serveUrl: `http://127.0.0.1:${(neverReady.address() as AddressInfo).port}`,
    serveWaitMs: 2_000,
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
  neverReady?.close();
  await s.drop();
});

describe('failures a user can act on', () => {
  it('fails a stage whose SQL does not bind after two more attempts, as an internal error recorded in lineage', async () => {
    const workflowId = `broken-${randomBytes(4).toString('hex')}`;
    const failure = await expectFailure(
      w.client.workflow.execute('stageFailure', { taskQueue: w.taskQueue, workflowId, args: ['SELECT b, count(*) FROM range(3) t(a) GROUP BY a'] }),
    );
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
    const model = `letters${randomBytes(3).toString('hex')}`;
    const out = await mlopsAsync(['run', 'ct', '--data', csv, '--target', 'c', '--name', model, '--wait'], env);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/failed \(ValidationFailed\):[\s\S]*column "c": target_constant/);
    expect(out.stderr).not.toContain('Activity task failed');
    const status = await w.client.workflow.getHandle(ctWorkflowId(model)).query(statusQuery);
    expect(status.stages.validate).toMatchObject({ state: 'failed', error: { type: 'ValidationFailed', message: expect.stringContaining('target_constant') } });
    expect(status.stages.govern).toMatchObject({ state: 'skipped' });
  });

  it('`mlops advance` of a stage that is not waiting names the one that is', async () => {
    const workflowId = `manual-${randomBytes(4).toString('hex')}`;
    await w.client.workflow.start(workflows.manualPipeline, {
      taskQueue: w.taskQueue,
      workflowId,
      args: [{ name: `adv${randomBytes(3).toString('hex')}`, data: { uri: weather }, target: 'weather' }],
    });
    const env = { MLOPS_TASK_QUEUE: w.taskQueue, MLOPS_DB_SCHEMA: s.schema, MLOPS_S3_PREFIX: s.artifacts.prefix };
    const out = await waitFor(
      'the manual run to wait for ingest',
      async () => {
        const r = await mlopsAsync(['advance', workflowId, '--stage', 'train'], env);
        return r.stderr.includes('is not waiting') ? r : undefined;
      },
      60_000,
      500,
    );
    expect(out.code).toBe(2);
    expect(out.stderr).toContain(`cannot advance ${workflowId}: stage train is not waiting; ingest is`);
    await w.client.workflow.getHandle(workflowId).terminate('test done');
  });

  it("a deploy to a model server that never loads the model fails with the wait's own message, not a timeout", async () => {
    const model = `ready${randomBytes(3).toString('hex')}`;
    const run = { trigger: 'manual' as const, requestId: randomBytes(8).toString('hex') };
    const handle = await w.client.workflow.signalWithStart(workflows.continuousTrainingPipeline, {
      workflowId: ctWorkflowId(model),
      taskQueue: w.taskQueue,
      args: [{ name: model, data: { uri: weather }, target: 'weather', run }],
      signal: retrainSignal,
      signalArgs: [run],
    });
    const failure = await waitFor(
      'the first failed attempt of deployModel',
      async () => {
        const pending = (await w.client.workflow.getHandle(handle.workflowId).describe()).raw.pendingActivities ?? [];
        return pending.find((a) => a.activityType?.name === 'deployModel' && a.lastFailure)?.lastFailure ?? undefined;
      },
      120_000,
    );
    expect(failure.message).toMatch(new RegExp(`did not report ${model} v1 ready within 2 s`));
    expect(failure.timeoutFailureInfo).toBeFalsy();
    await w.client.workflow.getHandle(handle.workflowId).terminate('test done');
  }, 150_000);
});
