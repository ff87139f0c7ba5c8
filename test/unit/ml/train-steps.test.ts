// The train stage's steps (search → final fit → threshold → export) on in-memory data: what training.refit
// keeps from the search, what a retried attempt resumes, and that the graph reproduces the TypeScript model.
import { describe, expect, it } from 'vitest';
import type { FeaturePlan } from '../../../core/features/plan';
import { exportOnnx, verifyExport } from '../../../core/ml/train-export';
import { fitFinal } from '../../../core/ml/train-fit';
import { sha256Of } from '../../../core/ml/train-register';
import { planSearch, runSearch } from '../../../core/ml/train-search';
import { scoreTest } from '../../../core/ml/train-threshold';
import type { TrainCheckpoint, TrainInput, TrainStatus } from '../../../core/ml/train-types';
import { parseSpec } from '../../../core/spec';
import { mixedBinary } from './binary-fixtures';

const plan: FeaturePlan = {
  raw: [
    { name: 'x', kind: 'numeric' },
    { name: 'c', kind: 'categorical' },
    { name: 'y', kind: 'categorical' },
  ],
  derive: [],
  features: [
    { name: 'x', kind: 'numeric', source: 'raw', dependsOn: ['x'] },
    { name: 'c', kind: 'categorical', source: 'raw', dependsOn: ['c'] },
  ],
  target: 'y',
  protected: [],
};

function inputFor(training: Record<string, unknown>, costs?: Record<string, number>): TrainInput {
  const spec = parseSpec({ name: 'steps', data: { uri: 'steps.csv' }, target: 'y', training, ...(costs ? { costs } : {}) });
  return {
    model: 'steps',
    runKey: 'run-1',
    dataset: { uri: 's3://mlops/datasets/x.parquet', sha256: 'x' } as TrainInput['dataset'],
    plan,
    planRef: { uri: 's3://mlops/plans/x.json', sha256: 'x', size: 1 },
    selected: ['x', 'c'],
    spec,
  };
}

/** The steps trainStage runs, without stores: the final model's ONNX bytes and what the steps reported. */
async function steps(input: TrainInput, resumed: TrainCheckpoint = { trials: [] }) {
  const data = mixedBinary();
  const statuses: TrainStatus[] = [];
  const saved: TrainCheckpoint[] = [];
  const hooks = {
    progress: () => undefined,
    status: (s: TrainStatus) => void statuses.push(s),
    started: Date.now(),
    checkpoint: { load: async () => resumed, save: async (c: TrainCheckpoint) => void saved.push(c) },
  };
  const searchPlan = planSearch(input, data, undefined, hooks.progress);
  const search = await runSearch(input, data, searchPlan, resumed, hooks);
  const final = await fitFinal(input, data, searchPlan, search, resumed, hooks);
  const test = scoreTest(input, data, searchPlan, final);
  const { bytes } = exportOnnx(final, input.model);
  await verifyExport(bytes, data, test.predictions, input.spec.training.seed, hooks.progress);
  return { search, final, test, sha256: sha256Of(bytes), statuses, saved };
}

const gbdtAndLogistic = { algorithms: ['gbdt', 'logistic'], l2: [0.1, 10], gbdt: { maxIter: 30, learningRate: [0.1, 0.3], maxLeaves: [7] }, seed: 5 };

describe('the train stage steps', () => {
  it('keeps the search fit of the best trial as the final model (refit reuse), and exports it as a verified graph', async () => {
    const run = await steps(inputFor(gbdtAndLogistic));
    expect(run.search.trials).toHaveLength(4);
    const best = run.search.trials.reduce((a, b) => (b.score > a.score ? b : a));
    expect(run.search.best).toBe(best);
    expect(run.final.refit).toMatchObject({ requested: 'auto', mode: 'reuse', reusedSearchModel: true, rows: 3000 });
    expect(run.statuses.some((s) => s.phase === 'refit')).toBe(false);
    expect(run.test.card.metrics.roc_auc).toBeGreaterThan(0.75);
    // One checkpoint per finished trial.
    expect(run.saved.map((c) => c.trials.length)).toEqual([1, 2, 3, 4]);
  });

  it('gives the same bytes when a retried attempt resumes the finished trials and fits the kept model again', async () => {
    const first = await steps(inputFor(gbdtAndLogistic));
    const resumed = await steps(inputFor(gbdtAndLogistic), { trials: first.search.trials });
    expect(resumed.search.trials).toEqual(first.search.trials);
    // Nothing is searched again and nothing is checkpointed: every trial came from the checkpoint.
    expect(resumed.statuses.filter((s) => s.phase === 'search')).toEqual([]);
    expect(resumed.saved).toEqual([]);
    expect(resumed.sha256).toBe(first.sha256);
  });

  it('refits a GBDT on train + validation at the iteration count early stopping chose (refit full)', async () => {
    const run = await steps(inputFor({ algorithms: ['gbdt'], gbdt: { maxIter: 60, learningRate: [0.3], maxLeaves: [7] }, refit: 'full', seed: 3 }));
    const [trial] = run.search.trials;
    expect(trial!.iterations).toBeGreaterThan(0);
    expect(run.final.refit).toEqual({ requested: 'full', mode: 'full', reusedSearchModel: false, rows: 4000, iterations: trial!.iterations });
    expect(run.statuses.some((s) => s.phase === 'refit')).toBe(true);
  });

  it('chooses the threshold on the validation split from the costs and reports the expected test cost', async () => {
    const run = await steps(inputFor({ algorithms: ['logistic'], l2: [1], seed: 2 }, { fp: 1, fn: 5 }));
    expect(run.test.costs?.chosenOn).toBe('validation split');
    // False negatives cost 5× false positives: the threshold sits below 0.5.
    expect(run.test.threshold).toBeLessThan(0.5);
    expect(run.test.card.metrics.expected_cost).toBeGreaterThan(0);
  });
});
