// The level-0 and level-1 pipeline workflows on a real worker and the real dev server, MinIO and Postgres.
// Orchestration alone (approval timeouts, rejections, coalescing) is tested in test/workflows.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config';
import { writeSynthCsv } from '../../core/data/synth';
import { cacheDir, TEMPORAL_CLI } from '../../infra/install';
import { isolatedStores } from '../support/isolated-stores';
import { expectFailure, startTestWorker, type TestWorker } from '../support/worker';
import { advanceUpdate, ctWorkflowId, retrainSignal, type RunResult, statusQuery, workflows } from '../../workflows/contracts';

let s: Awaited<ReturnType<typeof isolatedStores>>;
let w: TestWorker;
const dir = mkdtempSync(path.join(os.tmpdir(), 'mlops-pipelines-'));
const weather = path.join(__dirname, '..', '..', 'node_modules', 'vega-datasets', 'data', 'seattle-weather.csv');
const churn = path.join(dir, 'churn.csv');
const suffix = randomBytes(3).toString('hex');

beforeAll(async () => {
  s = await isolatedStores('pipelines');
  w = await startTestWorker(s, 'pipelines');
  await writeSynthCsv(churn, { rows: 3000, seed: 11 });
}, 120_000);

afterAll(async () => {
  await w?.stop();
  await s.drop();
});

const ct = (model: string, input: Record<string, unknown>, trigger: 'manual' | 'drift' = 'manual') => {
  const requestId = randomUUID();
  const run = { trigger, requestId };
  return w.client.workflow.signalWithStart(workflows.continuousTrainingPipeline, {
    workflowId: ctWorkflowId(model),
    taskQueue: w.taskQueue,
    args: [{ ...input, name: model, run }],
    signal: retrainSignal,
    signalArgs: [{ ...run }],
  });
};

describe('continuousTrainingPipeline', () => {
  it('runs every stage unattended, deploys the blessed model, and records lineage for each stage', async () => {
    const model = `weather-${suffix}`;
    const handle = await ct(model, { data: { uri: weather }, target: 'weather', features: { derive: [{ name: 'month', op: 'month', input: 'date' }] } });
    const r = (await w.client.workflow.getHandle(handle.workflowId, handle.signaledRunId).result()) as RunResult;
    expect(r).toMatchObject({ status: 'deployed', blessed: true, deployed: { alias: 'production', version: 1 }, trigger: 'manual' });
    expect(r.features?.selected).toContain('month');
    expect(Object.keys(r.timingsMs)).toEqual(['ingest', 'validate', 'govern', 'features', 'select', 'train', 'trainDetail', 'evaluate', 'deploy', 'total']);
    expect(await s.registry.getAlias(model, 'production')).toBe(1);
    const stages = await s.pool.query(
      `SELECT x.stage FROM executions x JOIN associations a ON a.execution_id = x.id JOIN contexts c ON c.id = a.context_id
        WHERE c.type = 'pipeline_run' AND c.name = $1 ORDER BY x.id`,
      [`${handle.workflowId}/${handle.signaledRunId}`],
    );
    expect(stages.rows.map((x) => x.stage)).toEqual(['ingest', 'validate', 'govern', 'features', 'select', 'train', 'evaluate', 'deploy']);
    const history = await s.registry.aliasHistory(model, 'production');
    expect(history[0]).toMatchObject({ fromVersion: null, toVersion: 1, actor: `continuousTrainingPipeline:${ctWorkflowId(model)}` });
    const described = await w.client.workflow.getHandle(handle.workflowId, handle.signaledRunId).describe();
    expect(described.typedSearchAttributes.getAll().map((p) => [p.key.name, p.value])).toEqual(
      expect.arrayContaining([
        ['MlopsModel', model],
        ['MlopsLevel', 1],
        ['MlopsTrigger', 'manual'],
      ]),
    );

    // Same data, spec and code again: nothing to learn.
    const again = await ct(model, { data: { uri: weather }, target: 'weather', features: { derive: [{ name: 'month', op: 'month', input: 'date' }] } });
    const skipped = (await w.client.workflow.getHandle(again.workflowId, again.signaledRunId).result()) as RunResult;
    expect(skipped.status).toBe('skipped');
    expect((await s.registry.listVersions(model)).length).toBe(1);
  }, 120_000);

  it("forwards a run started under another id (the Temporal CLI and UI send one JSON payload) to the model's CT workflow", async () => {
    const model = `cli-${suffix}`;
    const config = loadConfig();
    const temporal = path.join(cacheDir(), `temporal-${TEMPORAL_CLI.version}`, 'temporal');
    const input = JSON.stringify({ name: model, data: { uri: churn }, target: 'churned', features: { exclude: ['customer_id'] } });
    // Async: the worker runs in this process, so a blocking call would starve it.
    const { stdout: out } = await promisify(execFile)(temporal, [
      'workflow',
      'execute',
      '--address',
      config.temporal.address,
      '--task-queue',
      w.taskQueue,
      '--type',
      'continuousTrainingPipeline',
      '--workflow-id',
      `ui-start-${suffix}`,
      '--input',
      input,
      '--output',
      'json',
    ]);
    expect(out).toMatch(/"status":\s*"forwarded"/);
    const r = (await w.client.workflow.getHandle(ctWorkflowId(model)).result()) as RunResult;
    expect(r.status).toBe('deployed');
  }, 120_000);

  it('fails fast on a bad spec or a missing target and moves no alias', async () => {
    const bad = await expectFailure(
      w.client.workflow.execute(workflows.continuousTrainingPipeline, {
        taskQueue: w.taskQueue,
        workflowId: ctWorkflowId(`bad-${suffix}`),
        args: [{ name: `bad-${suffix}`, data: { uri: churn } }],
      }),
    );
    expect(bad).toMatchObject({ type: 'InvalidSpec', message: 'spec.target is required: the column to predict' });
    const missing = await expectFailure(
      w.client.workflow.execute(workflows.continuousTrainingPipeline, {
        taskQueue: w.taskQueue,
        workflowId: ctWorkflowId(`missing-${suffix}`),
        args: [{ name: `missing-${suffix}`, data: { uri: churn }, target: 'left' }],
      }),
    );
    expect(missing.type).toBe('ValidationFailed');
    expect(missing.message).toMatch(/column "left": target_missing/);
    expect(await s.registry.getAlias(`missing-${suffix}`, 'production').catch(() => undefined)).toBeUndefined();
  }, 60_000);

  it("a schedule starts a run that lands in the model's CT workflow", async () => {
    const model = `sched-${suffix}`;
    const scheduleId = `test-${model}`;
    const handle = await w.client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: '1h' }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'continuousTrainingPipeline',
        taskQueue: w.taskQueue,
        workflowId: ctWorkflowId(model),
        args: [{ name: model, data: { uri: churn }, target: 'churned', run: { trigger: 'schedule' } }],
      },
    });
    try {
      await handle.trigger();
      const deadline = Date.now() + 60_000;
      let result: RunResult | undefined;
      while (!result && Date.now() < deadline) {
        try {
          result = (await w.client.workflow.getHandle(ctWorkflowId(model)).result()) as RunResult;
        } catch {
          await new Promise((r) => setTimeout(r, 250));
        }
      }
      expect(result).toMatchObject({ status: 'deployed', trigger: 'schedule' });
    } finally {
      await handle.delete();
    }
  }, 120_000);
});

/** The validator's message of a refused update. */
async function updateRefusal(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    return (err as { cause?: { message?: string } }).cause?.message;
  }
  throw new Error('the update was accepted');
}

describe('manualPipeline', () => {
  it('waits for a person before every stage, refuses an advance for the wrong stage, and deploys when advanced', async () => {
    const model = `manual-${suffix}`;
    const handle = await w.client.workflow.start(workflows.manualPipeline, {
      taskQueue: w.taskQueue,
      workflowId: `manual-${suffix}`,
      args: [{ name: model, data: { uri: churn }, target: 'churned' }],
    });
    await new Promise((r) => setTimeout(r, 500));
    expect((await handle.query(statusQuery)).waitingFor).toBe('ingest');
    expect(await updateRefusal(handle.executeUpdate(advanceUpdate, { args: [{ stage: 'train' }] }))).toBe('stage train is not waiting; ingest is');
    for (const stage of ['ingest', 'validate', 'govern', 'features', 'select', 'train', 'evaluate', 'deploy'] as const) {
      let st = await handle.query(statusQuery);
      const deadline = Date.now() + 60_000;
      while (st.waitingFor !== stage && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        st = await handle.query(statusQuery);
      }
      if (stage === 'select') expect(st.artifacts.featurePlan).toMatch(/^s3:\/\//);
      expect(await handle.executeUpdate(advanceUpdate, { args: [{ stage }] })).toEqual({ stage, approved: true });
    }
    const r = (await handle.result()) as RunResult;
    expect(r).toMatchObject({ status: 'deployed', deployed: { version: 1 } });
  }, 120_000);
});
