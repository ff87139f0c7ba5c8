// The train stage's search: the candidates (every fitting algorithm × its grid, cut by a seeded shuffle), the
// metric they are ranked by, and the trials, scored on the validation split or on k folds. Each finished trial
// is checkpointed, so a retried attempt skips what an earlier one finished.
import type { Progress } from '../data/ingest';
import { encode, encodedRows, fitEncodingPlan } from '../features/encode';
import { seededRandom } from '../random';
import type { Algorithm, PipelineSpec, Task } from '../spec';
import type { GbdtCheckpoint } from './gbdt';
import { linearSearch, searchSubsample } from './linear-train';
import type { EncodingPlan } from './model';
import type { Predictions } from './scorecard';
import { searchFolds } from './search-folds';
import { lowerIsBetter, searchMetricFor, SearchMetricError, searchScore, type SearchMetric } from './search-metric';
import { choicesFor, fit } from './train-fit';
import type { Candidate, CheckpointHooks, Fitted, TrainCheckpoint, TrainInput, TrainStatus, Trial } from './train-types';
import { TrainingDataError, type TrainingData } from './training-data';

/** How the search scores predictions of `rows`: training.metric (or the task's default) on those rows. */
export type Scorer = (rows: Int32Array, p: Predictions) => number;

/** What the search fits on and how it ranks, fixed before its first trial. */
export interface SearchPlan {
  space: Candidate[];
  metric: SearchMetric;
  /** The scorecard's name for the metric (multiclass f1 is the macro F1), which gates and `runs compare` read. */
  metricKey: string;
  score: Scorer;
  kfold: boolean;
  /** The rows the final model may fit: the training split, or train + validation for a k-fold search. */
  pool: Int32Array;
  /** The rows the trials fit on: the pool, or its seeded stratified subsample (training.searchRows). */
  searchPool: Int32Array;
  linearTrial: ReturnType<typeof linearSearch>;
  weights: Float64Array | undefined;
}

/** The leading trial and, when this attempt fitted it on the training split, its model and encoding plan. */
export interface Leader {
  trial: Trial;
  fitted?: Fitted;
  enc?: EncodingPlan;
}

export interface SearchResult {
  trials: Trial[];
  best: Trial;
  leader: Leader | undefined;
  /** The search stopped at training.timeBudgetSeconds before trying every candidate. */
  searchCutShort: boolean;
}

export interface SearchHooks {
  progress: Progress;
  status: (status: TrainStatus) => void;
  checkpoint?: CheckpointHooks;
  /** When the stage started (training.timeBudgetSeconds counts from there). */
  started: number;
}

/**
 * training.metric (or the task's default) and the scorecard's name for it (multiclass f1 is the macro F1), which
 * gates and `runs compare` read: what built-in and external trainers' models are ranked and recorded by.
 */
export function trainingMetric(task: Task, spec: Pick<PipelineSpec, 'training' | 'costs'>): { metric: SearchMetric; key: string } {
  let metric: SearchMetric;
  try {
    metric = searchMetricFor(task, spec.training.metric, spec.costs);
  } catch (err) {
    if (err instanceof SearchMetricError) throw new TrainingDataError(err.message);
    throw err;
  }
  return { metric, key: task === 'multiclass' && metric === 'f1' ? 'macro_f1' : metric };
}

/** The metric of predictions of `rows` (one prediction per row of `rows`, in their order). */
export function scorerFor(task: Task, data: TrainingData, metric: SearchMetric, costs: PipelineSpec['costs']): Scorer {
  return (rows, p) => {
    const labels = task === 'regression' ? new Int32Array(0) : Int32Array.from(rows, (i) => data.labels[i]!);
    const targets = task === 'regression' ? Float64Array.from(rows, (i) => data.targets[i]!) : new Float64Array(0);
    return searchScore(task, metric, data.classes.length, labels, targets, p, costs);
  };
}

/** True when `a` beats `b`, or `b` is no score at all (a trial whose metric came out NaN never leads). */
const beats = (metric: string, a: number, b: number): boolean => !Number.isFinite(b) || (Number.isFinite(a) && (lowerIsBetter(metric) ? a < b : a > b));

export const describeCandidate = (c: Candidate): string =>
  c.algorithm === 'gbdt' ? `gbdt lr=${c.learningRate} leaves=${c.maxLeaves} minLeaf=${c.minSamplesLeaf}` : `${c.algorithm} l2=${c.l2}`;

/** The candidates a search tries: every fitting algorithm × its grid, cut to `trials` by a seeded shuffle. */
export function searchSpace(task: Task, spec: PipelineSpec): Candidate[] {
  const fits = (a: Algorithm): boolean => a === 'gbdt' || (task === 'regression' ? a === 'ridge' : a === 'logistic');
  const wanted: Algorithm[] = spec.training.algorithms.length > 0 ? spec.training.algorithms : [task === 'regression' ? 'ridge' : 'logistic'];
  const algorithms = wanted.filter(fits);
  if (algorithms.length === 0)
    throw new TrainingDataError(
      `training.algorithms ${JSON.stringify(wanted)} has none for a ${task} task (${task === 'regression' ? 'ridge' : 'logistic'} or gbdt fit)`,
    );
  const all: Candidate[] = algorithms.flatMap((algorithm): Candidate[] => {
    if (algorithm !== 'gbdt') return spec.training.l2.map((l2) => ({ algorithm, l2 }));
    const g = spec.training.gbdt;
    return g.learningRate.flatMap((learningRate) =>
      g.maxLeaves.flatMap((maxLeaves) => g.minSamplesLeaf.map((minSamplesLeaf) => ({ algorithm, learningRate, maxLeaves, minSamplesLeaf }))),
    );
  });
  if (spec.training.trials >= all.length) return all;
  const random = seededRandom(spec.training.seed ^ 0x5eed);
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, spec.training.trials);
}

export function planSearch(input: TrainInput, data: TrainingData, weights: Float64Array | undefined, progress: Progress): SearchPlan {
  const { task, split } = data;
  const space = searchSpace(task, input.spec);
  const { metric, key } = trainingMetric(task, input.spec);
  progress(`search metric: ${metric}${input.spec.training.metric ? '' : ' (the default for the task)'}`);
  const kfold = input.spec.training.validation.strategy === 'kfold';
  const pool = kfold ? Int32Array.from([...split.train, ...split.validation].sort((a, b) => a - b)) : split.train;
  const searchPool = searchSubsample(pool, input.spec.training.searchRows, data, input.spec.training.seed);
  if (searchPool !== pool) progress(`search fits on a stratified subsample of ${searchPool.length} of ${pool.length} rows`);
  return {
    space,
    metric,
    metricKey: key,
    score: scorerFor(task, data, metric, input.spec.costs),
    kfold,
    pool,
    searchPool,
    linearTrial: linearSearch((a) => space.flatMap((c) => (c.algorithm === a ? [c.l2] : [])), data, weights),
    weights,
  };
}

/** Tries every candidate of the plan (or what the time budget allows), resuming the trials `resumed` finished. */
export async function runSearch(input: TrainInput, data: TrainingData, plan: SearchPlan, resumed: TrainCheckpoint, hooks: SearchHooks): Promise<SearchResult> {
  const { space, metric } = plan;
  const budget = input.spec.training.timeBudgetSeconds;
  const trials: Trial[] = [];
  let searchCutShort = false;
  // The leading trial so far (same rule as the final choice) and, when this attempt fitted it on the training
  // split, its model: training.refit "reuse" keeps that model instead of fitting it again.
  let leader: Leader | undefined;
  const lead = (trial: Trial, kept?: { fitted: Fitted; enc: EncodingPlan }): void => {
    if (!leader || beats(metric, trial.score, leader.trial.score)) leader = { trial, ...kept };
  };
  const bestSoFar = (): TrainStatus['best'] => (leader && Number.isFinite(leader.trial.score) ? { metric, score: leader.trial.score } : undefined);

  for (const [t, candidate] of space.entries()) {
    const done = resumed.trials[t];
    if (done && JSON.stringify({ ...done, score: 0, iterations: undefined }) === JSON.stringify({ ...candidate, score: 0 })) {
      trials.push(done); // finished by an earlier attempt of this activity
      lead(done);
      continue;
    }
    if (budget !== null && trials.length > 0 && (Date.now() - hooks.started) / 1000 > budget) {
      searchCutShort = true;
      hooks.progress(`time budget of ${budget} s reached after ${trials.length} of ${space.length} trials`);
      break;
    }
    const trialStatus = { phase: 'search' as const, trial: t + 1, trials: space.length };
    hooks.status({ ...trialStatus, best: bestSoFar() });
    const onIteration = async (c: GbdtCheckpoint): Promise<void> =>
      hooks.status({ ...trialStatus, iteration: c.iteration, maxIter: input.spec.training.gbdt.maxIter, best: bestSoFar() });
    const { score, kept } = await tryCandidate(candidate, input, data, plan, onIteration);
    const iterations = kept?.fitted.model.kind === 'gbdt' ? kept.fitted.model.bestIteration : undefined;
    const trial: Trial = { ...candidate, score, ...(iterations !== undefined ? { iterations } : {}) };
    trials.push(trial);
    lead(trial, kept);
    await hooks.checkpoint?.save({ trials: [...trials] });
    hooks.progress(`trial ${t + 1}/${space.length}: ${describeCandidate(candidate)} ${metric}=${score.toFixed(5)}`);
  }
  let best = trials[0]!;
  for (const t of trials) if (beats(metric, t.score, best.score)) best = t;
  return { trials, best, leader, searchCutShort };
}

/** One trial's score: the mean over the folds (k-fold), else on the validation split, with the model it fitted. */
async function tryCandidate(
  candidate: Candidate,
  input: TrainInput,
  data: TrainingData,
  plan: SearchPlan,
  onIteration: (c: GbdtCheckpoint) => Promise<void>,
): Promise<{ score: number; kept?: { fitted: Fitted; enc: EncodingPlan } }> {
  const { searchPool, score, weights } = plan;
  const validationRows = data.split.validation;
  const choices = choicesFor(input.plan, input.selected, input.spec, candidate.algorithm);
  if (plan.kfold) {
    const folds = searchFolds(data, searchPool, input.spec);
    let sum = 0;
    for (const [fold, f] of folds.entries()) {
      const trainRows = Int32Array.from(f.train, (k) => searchPool[k]!);
      const valRows = Int32Array.from(f.validation, (k) => searchPool[k]!);
      if (candidate.algorithm !== 'gbdt') {
        sum += score(valRows, plan.linearTrial(candidate.algorithm, candidate.l2, fold, choices, trainRows, valRows).predictions);
        continue;
      }
      const enc = fitEncodingPlan(data.features, choices, trainRows);
      const fitted = await fit(candidate, input.spec, data, encodedRows(enc, data.features, trainRows), trainRows, { plan: enc }, weights);
      sum += score(valRows, fitted.predict(encode(enc, data.features, valRows)));
    }
    return { score: sum / folds.length };
  }
  if (candidate.algorithm !== 'gbdt') {
    const trial = plan.linearTrial(candidate.algorithm, candidate.l2, 0, choices, searchPool, validationRows);
    return { score: score(validationRows, trial.predictions), kept: { fitted: trial.fitted, enc: trial.plan } };
  }
  const enc = fitEncodingPlan(data.features, choices, searchPool);
  const validation = { matrix: encode(enc, data.features, validationRows), rows: validationRows };
  const fitted = await fit(
    candidate,
    input.spec,
    data,
    encodedRows(enc, data.features, searchPool),
    searchPool,
    { validation, onIteration, plan: enc },
    weights,
  );
  return { score: score(validationRows, fitted.predict(validation.matrix)), kept: { fitted, enc } };
}
