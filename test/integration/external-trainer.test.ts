// training.external on the real stack with the reference Python trainer, started as `mlops trainer python`
// starts it: a CT run deploys its model, the server answers with scikit-learn's probabilities, the run's
// metrics are those of the served answers, and each way a trainer can fail gives its own message.
import { execFile, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config';
import { withDatasetTable } from '../../core/data/dataset-table';
import { writeSynthCsv } from '../../core/data/synth';
import type { ExternalTrainInput } from '../../core/ml/external';
import type { FeaturePlan } from '../../core/features/plan';
import { prepareTrainingData } from '../../core/ml/training-data';
import { parseSpec } from '../../core/spec';
import { ensureTrainerVenv, pythonTrainerDir, startPythonTrainer, trainerEnv } from '../../infra/python-trainer';
import { startServing, type RunningServer } from '../../serving/main';
import { isolatedStores } from '../support/isolated-stores';
import { expectFailure, startTestWorker, type TestWorker } from '../support/worker';
import { ctWorkflowId, retrainSignal, type RunResult, workflows } from '../../workflows/contracts';

const root = path.join(__dirname, '..', '..');
let s: Awaited<ReturnType<typeof isolatedStores>>;
let w: TestWorker;
let server: RunningServer;
const trainers: ChildProcess[] = [];
const dir = mkdtempSync(path.join(os.tmpdir(), 'mlops-external-'));
const churn = path.join(dir, 'churn.csv');
const suffix = randomBytes(3).toString('hex');
const queue = `trainer-python-${suffix}`;
const faultyQueue = `trainer-faulty-${suffix}`;
const venvSeconds: number[] = [];

beforeAll(async () => {
  const started = Date.now();
  await ensureTrainerVenv(loadConfig().home, (line) => console.log(line));
  venvSeconds.push((Date.now() - started) / 1000);
  s = await isolatedStores('external');
  const config = loadConfig({ ...process.env, MLOPS_DB_SCHEMA: s.schema, MLOPS_S3_PREFIX: s.artifacts.prefix });
  server = await startServing(config, { address: `127.0.0.1:${randomInt(20000, 29999)}` });
  w = await startTestWorker(s, 'external', { serveUrl: server.url, serveWaitMs: 30_000 });
  await writeSynthCsv(churn, { rows: 3000, seed: 28 });
  const quiet = { stdio: ['ignore', 'inherit', 'inherit'] as ['ignore', 'inherit', 'inherit'] };
  trainers.push(await startPythonTrainer(loadConfig(), { taskQueue: queue, ...quiet }));
  trainers.push(
    await startPythonTrainer(loadConfig(), { taskQueue: faultyQueue, script: path.join(root, 'test', 'fixtures', 'trainers', 'faulty_trainer.py'), ...quiet }),
  );
}, 900_000);

afterAll(async () => {
  for (const t of trainers) t.kill('SIGKILL');
  await w?.stop();
  await server?.close();
  await s?.drop();
  console.log(`trainer venv ready in ${venvSeconds.map((x) => x.toFixed(1)).join(', ')} s`);
});

const specOf = (model: string, external: Record<string, unknown>, metric?: string) => ({
  name: model,
  data: { uri: churn },
  target: 'churned',
  features: { exclude: ['customer_id', 'signup_date'] },
  governance: { protected: ['region'] },
  training: { external, ...(metric ? { metric } : {}) },
  monitor: { enabled: false },
});

async function ct(model: string, external: Record<string, unknown>, metric?: string) {
  const run = { trigger: 'manual' as const, requestId: randomUUID() };
  const h = await w.client.workflow.signalWithStart(workflows.continuousTrainingPipeline, {
    workflowId: ctWorkflowId(model),
    taskQueue: w.taskQueue,
    args: [{ ...specOf(model, external, metric), run }],
    signal: retrainSignal,
    signalArgs: [{ ...run }],
  });
  return w.client.workflow.getHandle(h.workflowId, h.signaledRunId);
}

describe('training.external', () => {
  it("deploys the reference trainer's model; served probabilities are scikit-learn's and the metrics are the served answers'", async () => {
    const model = `ext-${suffix}`;
    const params = { algorithm: 'hist_gradient_boosting', max_iter: 40, max_leaf_nodes: 15 };
    const r = (await (await ct(model, { taskQueue: queue, params }, 'average_precision')).result()) as RunResult;
    expect(r).toMatchObject({ status: 'deployed', deployed: { alias: 'production', version: 1 } });
    // training.metric reaches the trainer and is the metric the pipeline records and compares the model by.
    const registered = await s.pool.query(
      `SELECT params FROM executions WHERE stage = 'train' AND status = 'complete' AND params->'trainer'->>'taskQueue' = $1 ORDER BY id DESC LIMIT 1`,
      [queue],
    );
    expect((registered.rows[0] as { params: { primaryMetric: string } }).params.primaryMetric).toBe('average_precision');
    expect(r.model!.algorithm).toBe('external:scikit-learn');
    expect(r.model!.params).toMatchObject({ ...params, learning_rate: 0.1 });
    expect(r.model!.slices.map((x) => x.attribute)).toContain('region');

    // Lineage: the trainer's identity, framework and code version, and the splits it was given (no test split).
    const mv = (await s.registry.getVersion(model, 1))!;
    const props = mv.properties as {
      trainer: Record<string, string>;
      splits: { train: { uri: string; sha256: string } };
      planUri: string;
      planSha256: string;
      selected: string[];
    };
    expect(props.trainer).toMatchObject({ taskQueue: queue, codeVersion: 'mlops-trainer-python 0.1.0' });
    expect(props.trainer.framework).toMatch(/^scikit-learn \d+\.\d+/);
    expect(props.trainer.identity).toMatch(/^\d+@/);
    const prepared = await s.pool.query(`SELECT params FROM executions WHERE stage = 'train-data' ORDER BY id DESC LIMIT 1`);
    const trainerInput = (prepared.rows[0] as { params: { trainerInput: ExternalTrainInput } }).params.trainerInput;
    expect(Object.keys(trainerInput).sort()).toEqual([
      'classes',
      'features',
      'metric',
      'model',
      'output',
      'params',
      's3',
      'seed',
      'target',
      'task',
      'train',
      'validation',
    ]);
    expect(trainerInput.metric).toBe('average_precision');
    expect(JSON.stringify(trainerInput)).not.toMatch(/secret|accessKey|password/i);

    // The test rows, as the pipeline split them, sent to the model server.
    const plan = JSON.parse((await s.artifacts.getBuffer(s.artifacts.keyOf(props.planUri), props.planSha256)).toString('utf8')) as FeaturePlan;
    const spec = parseSpec(specOf(model, { taskQueue: queue }));
    const data = await withDatasetTable(s.artifacts, r.dataset!, (conn, table) => prepareTrainingData(conn, table, plan, props.selected, spec));
    const test = [...data.split.test].map((i) =>
      Object.fromEntries(
        data.features.map((f) => [f.name, f.kind === 'numeric' ? (Number.isFinite(f.values[i]!) ? f.values[i] : null) : (f.values[i] ?? null)]),
      ),
    );
    const res = await fetch(`${server.url}/v1/models/${model}:predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ instances: test }),
    });
    expect(res.status).toBe(200);
    const served = ((await res.json()) as { predictions: { probabilities: Record<string, number> }[] }).predictions.map((p) =>
      data.classes.map((c) => p.probabilities[c]!),
    );

    // scikit-learn's own answers, in the trainer's venv (scripts/reference/external_trainer_reference.py).
    const trainFile = path.join(dir, 'train.parquet');
    await s.artifacts.getFile(s.artifacts.keyOf(props.splits.train.uri), trainFile, props.splits.train.sha256);
    const request = path.join(dir, 'reference.json');
    writeFileSync(
      request,
      JSON.stringify({
        train: trainFile,
        trainerInput,
        params: r.model!.params,
        test,
        labels: [...data.split.test].map((i) => data.classes[data.labels[i]!]),
        served,
      }),
    );
    const python = await ensureTrainerVenv(loadConfig().home);
    const { stdout } = await promisify(execFile)(python, [path.join(root, 'scripts', 'reference', 'external_trainer_reference.py'), request], {
      env: trainerEnv(loadConfig()),
      maxBuffer: 64 << 20,
    });
    const reference = JSON.parse(stdout) as { proba: number[][]; servedMetrics: Record<string, number> };
    let maxDiff = 0;
    reference.proba.forEach((row, k) => row.forEach((p, c) => (maxDiff = Math.max(maxDiff, Math.abs(p - served[k]![c]!)))));
    expect(reference.proba).toHaveLength(data.split.test.length);
    expect(maxDiff).toBeLessThan(1e-5);
    for (const [metric, value] of Object.entries(reference.servedMetrics)) expect(r.model!.metrics[metric]).toBeCloseTo(value, 5);
    expect(pythonTrainerDir()).toBe(path.join(root, 'trainers', 'python'));
  }, 600_000);

  it('refuses an ONNX that breaks the contract, naming the output or input', async () => {
    const zipmap = await expectFailure((await ct(`ext-zip-${suffix}`, { taskQueue: faultyQueue, params: { mode: 'zipmap', max_iter: 10 } })).result());
    expect(zipmap).toMatchObject({ type: 'InvalidModel' });
    expect(zipmap.message).toMatch(/ONNX output "output_probability" is not a tensor \(a ZipMap\?\)/);
    const renamed = await expectFailure((await ct(`ext-input-${suffix}`, { taskQueue: faultyQueue, params: { mode: 'rename-input', max_iter: 10 } })).result());
    expect(renamed).toMatchObject({ type: 'InvalidModel' });
    expect(renamed.message).toMatch(/ONNX input "\w+_renamed" is not one of the features/);
    expect(await s.registry.listVersions(`ext-zip-${suffix}`)).toHaveLength(0);
  }, 300_000);

  it("fails with the trainer's own error type and message", async () => {
    const f = await expectFailure((await ct(`ext-raise-${suffix}`, { taskQueue: faultyQueue, params: { mode: 'raise' } })).result());
    expect(f).toMatchObject({ type: 'ValueError' });
    expect(f.message).toBe(`the trainer on task queue ${faultyQueue} failed with ValueError: the trainer found no usable rows`);
  }, 300_000);

  it('fails when no trainer polls the queue within scheduleTimeout', async () => {
    const nobody = `trainer-nobody-${suffix}`;
    const f = await expectFailure((await ct(`ext-none-${suffix}`, { taskQueue: nobody, scheduleTimeout: '3s' })).result());
    expect(f).toMatchObject({ type: 'TrainerUnavailable' });
    expect(f.message).toMatch(new RegExp(`^no trainer is polling task queue ${nobody}`));
  }, 300_000);

  it('retries a trainer that stops heartbeating, and deploys from the next attempt', async () => {
    const handle = await ct(`ext-stall-${suffix}`, { taskQueue: faultyQueue, heartbeat: '3s', params: { mode: 'stall', max_iter: 10 } });
    const r = (await handle.result()) as RunResult;
    expect(r.status).toBe('deployed');
    const history = await handle.fetchHistory();
    const trainAttempts = (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'train').map((e) => e.eventId);
    expect(trainAttempts).toHaveLength(1);
    const started = (history.events ?? []).filter(
      (e) => e.activityTaskStartedEventAttributes && String(e.activityTaskStartedEventAttributes.scheduledEventId) === String(trainAttempts[0]),
    );
    expect(started.map((e) => e.activityTaskStartedEventAttributes!.attempt)).toEqual([2]);
  }, 300_000);
});
