// Train and evaluate as activities on a real worker: linear models on real and synthetic data, ONNX
// verified in onnxruntime, registry versions, champion comparison, gates and reproducible bytes.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSynthCsv } from '../../core/data/synth';
import { parseSpec } from '../../core/spec';
import { mlops } from '../support/cli';
import { isolatedStores } from '../support/isolated-stores';
import { expectFailure, startTestWorker, type TestWorker } from '../support/worker';
import type { trainStages } from '../support/workflows/train-stages';

let s: Awaited<ReturnType<typeof isolatedStores>>;
let w: TestWorker;
const dir = mkdtempSync(path.join(os.tmpdir(), 'mlops-train-'));
const churn = path.join(dir, 'churn.csv');
const weather = path.join(__dirname, '..', '..', 'node_modules', 'vega-datasets', 'data', 'seattle-weather.csv');

beforeAll(async () => {
  s = await isolatedStores('train');
  w = await startTestWorker(s, 'train');
  await writeSynthCsv(churn, { rows: 4000, seed: 3 });
}, 120_000);

afterAll(async () => {
  await w?.stop();
  await s.drop();
});

const train = (raw: Record<string, unknown>) =>
  w.client.workflow.execute<typeof trainStages>('trainStages', {
    taskQueue: w.taskQueue,
    workflowId: `train-${randomBytes(4).toString('hex')}`,
    args: [parseSpec(raw)],
  });

const churnSpec = {
  name: 'churn',
  data: { uri: churn, keys: ['customer_id'] },
  target: 'churned',
  features: { exclude: ['customer_id'], derive: [{ name: 'signup_month', op: 'month', input: 'signup_date' }] },
  governance: { protected: ['region'], minGroupSize: 30 },
  costs: { fp: 1, fn: 5 },
  gates: { min: { roc_auc: 0.7 }, maxRegression: { roc_auc: { absolute: 0.01 } } },
  training: { l2: [0.1, 1, 10], seed: 7 },
};

describe('train and evaluate', () => {
  it('trains a binary logistic model, verifies its ONNX graph, registers v1 and blesses it', async () => {
    const out = await train(churnSpec);
    const m = out.trained;
    expect(m).toMatchObject({ name: 'churn', version: 1, task: 'binary', classes: ['0', '1'], algorithm: 'logistic' });
    expect(m.metrics.roc_auc).toBeGreaterThan(0.75);
    expect(m.trials.map((t) => (t.algorithm === 'gbdt' ? null : t.l2))).toEqual([0.1, 1, 10]);
    expect(m.rows.train + m.rows.validation + m.rows.test).toBe(4000);
    // False negatives cost 5× false positives: the chosen threshold sits below 0.5.
    expect(m.threshold).toBeLessThan(0.5);
    expect(m.metrics.expected_cost).toBeGreaterThan(0);
    expect(m.importance.support_calls).toBeGreaterThan(m.importance.region ?? 0);
    expect(m.slices.filter((x) => x.attribute === 'region').map((x) => x.group)).toEqual(['central', 'east', 'north', 'south', 'west']);
    expect(m.fairness.region?.demographicParityDifference).toBeGreaterThanOrEqual(0);
    expect(m.signature.inputs.map((i) => i.name)).toContain('signup_month');
    expect(m.signature.inputs.map((i) => i.name)).not.toContain('region');
    expect(m.latency.p99Ms).toBeGreaterThan(0);
    expect(out.evaluation).toMatchObject({ blessed: true, reasons: [], champion: null });
    const stored = await s.artifacts.getBuffer(s.artifacts.keyOf(m.uri), m.sha256);
    expect(stored.length).toBe(m.sizeBytes);
    expect(m.uri).toBe(s.artifacts.uri('models/churn/1/model.onnx'));
  }, 120_000);

  it('searches on a stratified subsample (training.searchRows) and picks the l2 the full search picks', async () => {
    // A clear case: l2 = 1e5 all but erases the coefficients; 0.1 fits. The final model learns from every train row.
    const grid = { ...churnSpec, name: 'churn-sub', gates: { min: {}, maxRegression: {} }, training: { l2: [1e5, 0.1], seed: 7 } };
    const full = (await train(grid)).trained;
    const sub = (await train({ ...grid, training: { ...grid.training, searchRows: 600 } })).trained;
    expect(full.rows.search).toBe(full.rows.train);
    expect(sub.rows.search).toBeGreaterThanOrEqual(599);
    expect(sub.rows.search).toBeLessThanOrEqual(601);
    expect(sub.rows.train).toBe(full.rows.train);
    const best = (m: typeof full): number | null => {
      const top = [...m.trials].sort((x, y) => y.score - x.score)[0]!;
      return top.algorithm === 'gbdt' ? null : top.l2;
    };
    expect(best(full)).toBe(0.1);
    expect(best(sub)).toBe(0.1);
    expect(sub.params.l2).toBe(0.1);
    // Different search rows, the same final rows and l2: the same optimum. (The full search keeps its own model,
    // solved on its l2 path from a warm start; the subsampled one refits from a cold start: equal to ~1e-6.)
    expect(full.refit).toMatchObject({ mode: 'reuse', reusedSearchModel: true, rows: full.rows.train });
    expect(sub.refit).toMatchObject({ mode: 'reuse', reusedSearchModel: false, rows: full.rows.train });
    expect(sub.metrics.roc_auc).toBeCloseTo(full.metrics.roc_auc!, 5);
    expect(sub.metrics.log_loss).toBeCloseTo(full.metrics.log_loss!, 5);
  }, 120_000);

  it('trains on a seeded sample stratified by class above training.maxRows, recorded in the result and lineage', async () => {
    const spec = { ...churnSpec, name: 'churn-sampled', gates: { min: {}, maxRegression: {} }, training: { ...churnSpec.training, maxRows: 1500 } };
    const m = (await train(spec)).trained;
    expect(m.sample).toEqual({ rows: 1500, of: 4000, seed: 7, stratifiedBy: 'churned' });
    expect(m.rows.train + m.rows.validation + m.rows.test).toBe(1500);
    expect(m.metrics.roc_auc).toBeGreaterThan(0.7);
    const lineage = await s.pool.query(`SELECT params FROM executions WHERE stage = 'train' ORDER BY id DESC LIMIT 1`);
    expect((lineage.rows[0] as { params: { version: number; sample: unknown } }).params).toMatchObject({ version: m.version, sample: m.sample });
    const registered = await s.registry.getVersion('churn-sampled', m.version);
    expect(registered?.properties.sample).toEqual(m.sample);
    // The same seed and dataset pick the same rows: the same model bytes.
    const again = (await train(spec)).trained;
    expect(again.sha256).toBe(m.sha256);
    const full = (await train({ ...spec, training: churnSpec.training })).trained;
    expect(full.sample).toBeUndefined();
    expect(full.rows.train + full.rows.validation + full.rows.test).toBe(4000);
  }, 240_000);

  it('searches l2 by k-fold on a path per fold, then fits on train + validation rows', async () => {
    const spec = {
      ...churnSpec,
      name: 'churn-kfold',
      gates: { min: {}, maxRegression: {} },
      training: { l2: [1e5, 0.1, 1], seed: 7, validation: { strategy: 'kfold', folds: 3 } },
    };
    const m = (await train(spec)).trained;
    expect(m.trials.map((t) => (t.algorithm === 'gbdt' ? null : t.l2))).toEqual([1e5, 0.1, 1]);
    for (const t of m.trials) expect(t.score).toBeGreaterThan(0.5);
    expect(m.trials[0]!.score).toBeLessThan(m.trials[1]!.score);
    expect(m.rows.search).toBe(m.rows.train + m.rows.validation);
    expect(m.metrics.roc_auc).toBeGreaterThan(0.75);
  }, 120_000);

  it('retrains to byte-identical ONNX and compares with production on the same test rows', async () => {
    const v1 = (await s.registry.getVersion('churn', 1))!;
    await s.registry.setAlias({ model: 'churn', alias: 'production', version: 1, actor: 'test', reason: 'first model' });
    const out = await train(churnSpec);
    expect(out.trained.version).toBe(2);
    expect(out.trained.sha256).toBe(v1.sha256);
    expect(out.evaluation.champion?.version).toBe(1);
    // The champion ran its own ONNX graph: same model, same rows, same metrics up to float32 rounding.
    expect(out.evaluation.champion!.metrics.roc_auc).toBeCloseTo(out.trained.metrics.roc_auc!, 5);
    expect(out.evaluation.blessed).toBe(true);
  }, 120_000);

  it('reports failed gates as an outcome with reasons', async () => {
    const out = await train({ ...churnSpec, gates: { min: { roc_auc: 0.999, log_loss: 0.01 }, maxP99LatencyMs: 0.000001 } });
    expect(out.evaluation.blessed).toBe(false);
    expect(out.evaluation.reasons).toEqual([
      expect.stringMatching(/^roc_auc 0\.\d+ is below the minimum 0\.999$/),
      expect.stringMatching(/^log_loss 0\.\d+ is above the maximum 0\.01$/),
      expect.stringMatching(/^p99 single-row latency .* ms is above the maximum 0\.000001 ms$/),
    ]);
  }, 120_000);

  it('trains multiclass and regression models on seattle-weather', async () => {
    const multi = await train({
      name: 'weather-kind',
      data: { uri: weather },
      target: 'weather',
      time: 'date',
      features: { derive: [{ name: 'month', op: 'month', input: 'date' }] },
    });
    expect(multi.trained).toMatchObject({ task: 'multiclass', classes: ['drizzle', 'fog', 'rain', 'snow', 'sun'], primaryMetric: 'log_loss' });
    expect(multi.trained.metrics.accuracy).toBeGreaterThan(0.6);
    expect(multi.trained.confusion).toHaveLength(5);
    const reg = await train({ name: 'weather-temp', data: { uri: weather }, target: 'temp_max', features: { exclude: ['weather'] } });
    expect(reg.trained).toMatchObject({ task: 'regression', algorithm: 'ridge', primaryMetric: 'rmse' });
    expect(reg.trained.metrics.r2).toBeGreaterThan(0.7);
  }, 180_000);

  it('refuses an algorithm that does not fit the task, without retrying', async () => {
    const f = await expectFailure(train({ name: 'weather-temp', data: { uri: weather }, target: 'temp_max', training: { algorithms: ['logistic'] } }));
    expect(f).toMatchObject({ type: 'InvalidSpec', message: 'training.algorithms ["logistic"] has none for a regression task (ridge or gbdt fit)' });
  }, 120_000);

  it('shows runs side by side with mlops runs list|compare', () => {
    const env = { MLOPS_DB_SCHEMA: s.schema, MLOPS_S3_PREFIX: s.artifacts.prefix };
    const list = mlops(['runs', 'list', '--model', 'churn', '--json'], env);
    expect(list.stderr).toBe('');
    const runs = JSON.parse(list.stdout) as {
      version: number;
      algorithm: string;
      metrics: Record<string, number>;
      datasetSha256: string;
      codeVersion: string;
      blessed: boolean | null;
    }[];
    expect(runs.map((r) => r.version)).toEqual([3, 2, 1]);
    expect(runs[0]).toMatchObject({ algorithm: 'logistic', blessed: false });
    expect(runs[2]!.datasetSha256).toMatch(/^[0-9a-f]{64}$/);
    const compare = mlops(['runs', 'compare', '--model', 'churn'], env);
    expect(compare.code).toBe(0);
    expect(compare.stdout).toMatch(/roc_auc/);
    expect(compare.stdout.split('\n')[0]).toMatch(/metric\s+v3\s+v2\s+v1/);
  });

  it('searches by training.metric with time-ordered k-fold and a user ordinal order; runs compare shows every parameter', async () => {
    const out = await train({
      ...churnSpec,
      time: 'signup_date',
      features: { ...churnSpec.features, encodings: { plan: { encoding: 'ordinal', order: ['basic', 'standard', 'premium', 'enterprise'] } } },
      training: {
        algorithms: ['logistic', 'gbdt'],
        l2: [1],
        gbdt: { maxIter: 20 },
        metric: 'average_precision',
        validation: { strategy: 'kfold', folds: 3 },
        seed: 7,
      },
    });
    const m = out.trained;
    expect(m.primaryMetric).toBe('average_precision');
    expect(m.metrics.average_precision).toBeGreaterThan(0.3);
    expect(m.trials.map((t) => t.algorithm).sort()).toEqual(['gbdt', 'logistic']);
    const env = { MLOPS_DB_SCHEMA: s.schema, MLOPS_S3_PREFIX: s.artifacts.prefix };
    const compare = JSON.parse(mlops(['runs', 'compare', '--model', 'churn', '--json'], env).stdout) as {
      versions: number[];
      rows: Record<string, (string | number | null)[]>;
    };
    expect(compare.versions).toEqual([4, 3, 2, 1]);
    expect(compare.rows['search metric']).toEqual(['average_precision', 'roc_auc', 'roc_auc', 'roc_auc']);
    expect(compare.rows.l2!.slice(1)).toEqual([expect.any(Number), expect.any(Number), expect.any(Number)]);
    if (m.algorithm === 'gbdt') {
      expect(compare.rows.learningRate![0]).toBe(0.1);
      expect(compare.rows.maxLeaves![0]).toBe(31);
      expect(compare.rows.learningRate!.slice(1)).toEqual([null, null, null]);
    } else expect(compare.rows.l2![0]).toBe(1);
  }, 240_000);
});
