// The train stage: encode the selected features (fit on the training rows), search algorithms and L2
// strengths on validation data (or k-fold), choose the decision threshold from costs, score the test split,
// export encoders + model as one ONNX graph, verify it in onnxruntime against the TypeScript model, measure
// its serving cost, and register it as the model's next version. Same data + spec + seed → same ONNX bytes.
import { createHash } from 'node:crypto';
import { withDatasetTable } from '../data/dataset-table';
import type { DatasetRef, Progress } from '../data/ingest';
import { canonicalJson } from '../canonical-json';
import { encode, fitEncodingPlan, type EncodingChoice } from '../features/encode';
import type { FeaturePlan } from '../features/plan';
import { measureLatency, type OnnxLatency } from '../onnx/latency';
import { exportLinearOnnx } from '../onnx/linear';
import { exportGbdtOnnx } from '../onnx/trees';
import type { OnnxSignature } from '../onnx/signature';
import { verifyOnnx } from '../onnx/verify';
import { seededRandom } from '../random';
import type { Algorithm, PipelineSpec, RefitChoice, Task } from '../spec';
import type { ArtifactRef, ArtifactStore } from '../store/artifacts';
import type { ModelRegistry } from '../store/registry';
import { codeVersion } from '../version';
import type { LogisticModel } from './logistic';
import { fitGbdt, gbdtGainImportance, planCategories, predictGbdt, type GbdtCheckpoint } from './gbdt';
import type { EncodingPlan, GbdtModel, LinearModel, Matrix } from './model';
import { absoluteByFeature } from './importance';
import { permutationImportance, sampleRows, subsetColumns } from './permutation';
import type { RidgeModel } from './ridge';
import { encodeLinear } from '../features/encode-linear';
import type { LinearDesign } from './linear-design';
import { fitLinearPath, isLinear, linearSearch, predictRows, searchSubsample } from './linear-train';
import { positiveColumn, scorecard, type Metrics, type Predictions, type Scorecard } from './scorecard';
import { searchFolds } from './search-folds';
import { lowerIsBetter, searchMetricFor, SearchMetricError, searchScore, type SearchMetric } from './search-metric';
import { chooseThreshold, type ThresholdChoice } from './threshold';
import { prepareTrainingData, TrainingDataError, type TrainingData } from './training-data';
import type { TrainingSample } from './training-sample';
import { cbpeReference } from '../monitor/cbpe';
import { evaluationReport, storeEvaluationReport } from './evaluation-report';
import { referenceSample, storeReference } from '../monitor/reference';
import { domainWeights, type DomainWeights, type ReweightSummary } from './reweight';

export interface TrainInput {
  model: string;
  /** Idempotency key of the registering run (workflow id / run id). */
  runKey: string;
  dataset: DatasetRef;
  plan: FeaturePlan;
  planRef: ArtifactRef;
  selected: string[];
  spec: PipelineSpec;
  /** monitor.onDrift "reweight": weigh training rows by how much they look like the last `windowSeconds` of traffic. */
  reweight?: { windowSeconds: number };
}

export type Candidate =
  { algorithm: 'logistic' | 'ridge'; l2: number } | { algorithm: 'gbdt'; learningRate: number; maxLeaves: number; minSamplesLeaf: number };

/** A finished search trial; `iterations`: the boosting iterations early stopping kept (holdout GBDT). */
export type Trial = Candidate & { score: number; iterations?: number };

/** Where the train stage is, for heartbeat details (the Temporal UI shows them) and `mlops run --wait`. */
export interface TrainStatus {
  phase: 'search' | 'refit' | 'evaluate' | 'export' | 'verify' | 'importance' | 'register';
  trial?: number;
  trials?: number;
  /** Boosting iterations done so far in the current fit, of at most maxIter. */
  iteration?: number;
  maxIter?: number;
  /** The best validation score so far. */
  best?: { metric: string; score: number };
}

/** How the final model was obtained (spec training.refit). */
export interface RefitRecord {
  requested: RefitChoice;
  /** reuse: the search's model (fitted on the training split); full: refitted on train + validation. */
  mode: 'reuse' | 'full';
  /** True when the search's fitted model itself was kept (no second fit at all). */
  reusedSearchModel: boolean;
  rows: number;
  /** Boosting iterations of the final GBDT fit. */
  iterations?: number;
}

/** Wall time of the train stage's parts, in ms (the run result's timingsMs.trainDetail). */
export type TrainTimings = Record<'prepare' | 'search' | 'refit' | 'score' | 'export' | 'verify' | 'latency' | 'importance' | 'register', number>;

/** Permutation importance re-scores a seeded sample of at most this many test rows. */
export const PERMUTATION_MAX_ROWS = 10_000;
/** The ONNX check scores a seeded sample of at most this many test rows (all of them below that). */
export const VERIFY_MAX_ROWS = 100_000;

/** What a retried train attempt resumes from: finished trials, and the final GBDT fit's last snapshot. */
export interface TrainCheckpoint {
  trials: Trial[];
  final?: GbdtCheckpoint;
}

export interface CheckpointHooks {
  load: () => Promise<TrainCheckpoint | undefined>;
  save: (c: TrainCheckpoint) => Promise<void>;
}

export interface TrainedModel {
  name: string;
  version: number;
  uri: string;
  sha256: string;
  task: Task;
  classes: string[];
  /** A built-in algorithm, or `external:<framework>` for a model from the user's own trainer. */
  algorithm: Algorithm | `external:${string}`;
  params: Record<string, unknown>;
  metrics: Metrics;
  slices: Scorecard['slices'];
  fairness: Scorecard['fairness'];
  confusion?: number[][];
  importance: Record<string, number>;
  /** Drop of the primary metric on (a seeded sample of) the test split when each feature is shuffled. */
  permutationImportance: Record<string, number>;
  /** Test rows permutation importance was computed on (at most PERMUTATION_MAX_ROWS). */
  permutationRows?: number;
  /** Built-in trainers only (an external trainer's fit is its own). */
  refit?: RefitRecord;
  timingsMs?: TrainTimings;
  threshold: number;
  costs: (ThresholdChoice & { chosenOn: string }) | null;
  trials: Trial[];
  /** The search stopped at training.timeBudgetSeconds before trying every candidate. */
  searchCutShort: boolean;
  primaryMetric: string;
  latency: OnnxLatency;
  sizeBytes: number;
  trainingMs: number;
  /** `search`: the rows the search's trials fit on (fewer than train with training.searchRows). */
  rows: { train: number; validation: number; test: number; droppedMissingTarget: number; search: number };
  signature: OnnxSignature;
  codeVersion: string;
  /** Present when the rows were reweighted towards recent traffic (monitor.onDrift "reweight"). */
  reweight?: ReweightSummary;
  /** Present when the dataset had more labelled rows than training.maxRows: the seeded sample trained on. */
  sample?: TrainingSample;
}

/** Linear models also predict on the sparse design (linear-train.ts), which is what they are scored on. */
type Fitted = { model: LinearModel | GbdtModel; predict: (m: Matrix) => Predictions; predictDesign?: (d: LinearDesign) => Predictions };

async function fit(
  c: Candidate,
  spec: PipelineSpec,
  data: TrainingData,
  m: Matrix | LinearDesign,
  rows: Int32Array,
  gbdt: {
    validation?: { matrix: Matrix; rows: Int32Array };
    onIteration?: (c: GbdtCheckpoint) => Promise<void>;
    resume?: GbdtCheckpoint;
    plan?: EncodingPlan;
  } = {},
  weights?: Float64Array,
): Promise<Fitted> {
  const sampleWeights = weights ? Float64Array.from(rows, (i) => weights[i]!) : undefined;
  if (c.algorithm === 'gbdt') {
    if (!('values' in m)) throw new Error('a GBDT fits on the encoded matrix, not the linear design');
    const classification = data.task !== 'regression';
    const target = classification
      ? { labels: Int32Array.from(rows, (i) => data.labels[i]!), classes: data.classes }
      : { targets: Float64Array.from(rows, (i) => data.targets[i]!) };
    const validation =
      gbdt.validation && gbdt.validation.rows.length > 0
        ? {
            matrix: gbdt.validation.matrix,
            ...(classification
              ? { labels: Int32Array.from(gbdt.validation.rows, (i) => data.labels[i]!) }
              : { targets: Float64Array.from(gbdt.validation.rows, (i) => data.targets[i]!) }),
          }
        : undefined;
    const model = await fitGbdt(
      m,
      target,
      { maxIter: spec.training.gbdt.maxIter, learningRate: c.learningRate, maxLeaves: c.maxLeaves, minSamplesLeaf: c.minSamplesLeaf, seed: spec.training.seed },
      {
        ...(gbdt.plan ? { categories: planCategories(gbdt.plan) } : {}),
        ...(validation ? { validation } : {}),
        ...(sampleWeights ? { sampleWeights } : {}),
        ...(gbdt.onIteration ? { onIteration: gbdt.onIteration, checkpointEvery: 10 } : {}),
        ...(gbdt.resume ? { resume: gbdt.resume } : {}),
      },
    );
    return { model, predict: (x) => (classification ? { proba: predictGbdt(model, x) } : { values: predictGbdt(model, x) }) };
  }
  if (!('hot' in m)) throw new Error(`${c.algorithm} fits on the linear design, not the dense matrix`);
  return fitLinearPath(c.algorithm, [c.l2], data, m, rows, weights)[0]!;
}

/** How the search scores predictions of `rows`: training.metric (or the task's default) on those rows. */
type Scorer = (rows: Int32Array, p: Predictions) => number;

function scorerFor(task: Task, data: TrainingData, metric: SearchMetric, costs: PipelineSpec['costs']): Scorer {
  return (rows, p) => {
    const labels = task === 'regression' ? new Int32Array(0) : Int32Array.from(rows, (i) => data.labels[i]!);
    const targets = task === 'regression' ? Float64Array.from(rows, (i) => data.targets[i]!) : new Float64Array(0);
    return searchScore(task, metric, data.classes.length, labels, targets, p, costs);
  };
}

const better = (metric: string, a: number, b: number): boolean => (lowerIsBetter(metric) ? a < b : a > b);

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

function choicesFor(plan: FeaturePlan, selected: string[], spec: PipelineSpec, algorithm: Algorithm): Record<string, EncodingChoice> {
  const kinds = new Map(plan.features.map((f) => [f.name, f.kind]));
  const out: Record<string, EncodingChoice> = {};
  for (const name of selected) {
    const given = spec.features.encodings?.[name];
    const asked = typeof given === 'object' ? given.encoding : given;
    const kind = kinds.get(name);
    // Trees take numbers as they are (missing values routed by the trees) and categories as codes they split
    // by sets; linear models need numbers scaled and categories one-hot.
    const encoding =
      asked ?? (algorithm === 'gbdt' ? (kind === 'categorical' ? 'category' : 'passthrough') : kind === 'categorical' ? 'onehot' : 'standardize');
    if (encoding === 'standardize' && kind === 'categorical')
      throw new TrainingDataError(`features.encodings.${name}: a categorical feature cannot be standardized; use onehot or ordinal`);
    out[name] =
      encoding === 'onehot'
        ? { encoding, topK: spec.features.topK ?? 20 }
        : typeof given === 'object'
          ? { encoding: 'ordinal', order: given.order }
          : { encoding: encoding as EncodingChoice['encoding'] };
  }
  return out;
}

/** Per feature: the share of the model's absolute standardized coefficients on its encoded columns. */
function importanceOf(model: LinearModel | GbdtModel, plan: EncodingPlan): Record<string, number> {
  // Trees: total split gain per matrix column; linear models: absolute standardized coefficients.
  const weights = model.kind === 'gbdt' ? gbdtGainImportance(model) : model.coefficients;
  const byFeature = absoluteByFeature(plan, weights, model.kind === 'logistic' ? model.coefficients.length / plan.width : 1);
  const total = [...byFeature.values()].reduce((a, b) => a + b, 0);
  return Object.fromEntries([...byFeature].map(([name, v]) => [name, total > 0 ? Math.round((v / total) * 1e6) / 1e6 : 0]));
}

export async function trainStage(
  input: TrainInput,
  deps: {
    artifacts: ArtifactStore;
    registry: ModelRegistry;
    onProgress?: Progress;
    /** Structured progress (trial, iteration, best score so far) for heartbeat details. */
    onStatus?: (status: TrainStatus) => void;
    latencyCalls?: number;
    checkpoint?: CheckpointHooks;
    /** Logged features of the model's recent predictions (needed for `input.reweight`). */
    loggedRows?: (model: string, windowSeconds: number) => Promise<Record<string, unknown>[]>;
  },
): Promise<TrainedModel> {
  const progress = deps.onProgress ?? (() => undefined);
  const status = deps.onStatus ?? (() => undefined);
  const started = Date.now();
  const timings = {} as TrainTimings;
  let lap = started;
  const timed = (part: keyof TrainTimings): void => {
    const now = Date.now();
    timings[part] = now - lap;
    lap = now;
  };
  const data = await withDatasetTable(deps.artifacts, input.dataset, (conn, table) => prepareTrainingData(conn, table, input.plan, input.selected, input.spec));
  const { split, task } = data;
  progress(`${task} task: ${split.train.length} train, ${split.validation.length} validation, ${split.test.length} test rows`);
  const reweighted = input.reweight ? await shiftWeights(input, data, deps.loggedRows) : undefined;
  if (reweighted)
    progress(`reweighted training rows by a domain classifier (AUC ${reweighted.summary.domainAuc}, effective rows ${reweighted.summary.effectiveRows})`);
  const weights = reweighted?.weights;
  const space = searchSpace(task, input.spec);
  let metric: SearchMetric;
  try {
    metric = searchMetricFor(task, input.spec.training.metric, input.spec.costs);
  } catch (err) {
    if (err instanceof SearchMetricError) throw new TrainingDataError(err.message);
    throw err;
  }
  // The scorecard's name for it (multiclass f1 is the macro F1), which gates and `runs compare` read.
  const metricKey = task === 'multiclass' && metric === 'f1' ? 'macro_f1' : metric;
  const score = scorerFor(task, data, metric, input.spec.costs);
  progress(`search metric: ${metric}${input.spec.training.metric ? '' : ' (the default for the task)'}`);
  const kfold = input.spec.training.validation.strategy === 'kfold';
  const pool = kfold ? Int32Array.from([...split.train, ...split.validation].sort((a, b) => a - b)) : split.train;
  // The search may fit on a seeded stratified subsample (training.searchRows); the final fit uses all of pool.
  const searchPool = searchSubsample(pool, input.spec.training.searchRows, data, input.spec.training.seed);
  if (searchPool !== pool) progress(`search fits on a stratified subsample of ${searchPool.length} of ${pool.length} rows`);
  const linearTrial = linearSearch((a) => space.flatMap((c) => (c.algorithm === a ? [c.l2] : [])), data, weights);
  const resumed = (await deps.checkpoint?.load()) ?? { trials: [] };
  const trials: Trial[] = [];
  const budget = input.spec.training.timeBudgetSeconds;
  let searchCutShort = false;
  const describe = (c: Candidate): string =>
    c.algorithm === 'gbdt' ? `gbdt lr=${c.learningRate} leaves=${c.maxLeaves} minLeaf=${c.minSamplesLeaf}` : `${c.algorithm} l2=${c.l2}`;
  timed('prepare');
  // The leading trial so far (same rule as the final choice below) and, when this attempt fitted it on the
  // training split, its model: training.refit "reuse" keeps that model instead of fitting it again.
  let leader: { trial: Trial; fitted?: Fitted; enc?: EncodingPlan } | undefined;
  const lead = (trial: Trial, fitted?: Fitted, enc?: EncodingPlan): void => {
    if (!leader || !Number.isFinite(leader.trial.score) || (Number.isFinite(trial.score) && better(metric, trial.score, leader.trial.score)))
      leader = { trial, ...(fitted && enc ? { fitted, enc } : {}) };
  };
  const bestSoFar = (): TrainStatus['best'] => (leader && Number.isFinite(leader.trial.score) ? { metric, score: leader.trial.score } : undefined);

  for (const [t, candidate] of space.entries()) {
    const done = resumed.trials[t];
    if (done && JSON.stringify({ ...done, score: 0, iterations: undefined }) === JSON.stringify({ ...candidate, score: 0 })) {
      trials.push(done); // finished by an earlier attempt of this activity
      lead(done);
      continue;
    }
    if (budget !== null && trials.length > 0 && (Date.now() - started) / 1000 > budget) {
      searchCutShort = true;
      progress(`time budget of ${budget} s reached after ${trials.length} of ${space.length} trials`);
      break;
    }
    const choices = choicesFor(input.plan, input.selected, input.spec, candidate.algorithm);
    const trialStatus = { phase: 'search' as const, trial: t + 1, trials: space.length };
    status({ ...trialStatus, best: bestSoFar() });
    let s: number;
    let kept: { fitted: Fitted; enc: EncodingPlan } | undefined;
    if (kfold) {
      const folds = searchFolds(data, searchPool, input.spec);
      let sum = 0;
      for (const [fold, f] of folds.entries()) {
        const trainRows = Int32Array.from(f.train, (k) => searchPool[k]!);
        const valRows = Int32Array.from(f.validation, (k) => searchPool[k]!);
        if (candidate.algorithm !== 'gbdt') {
          sum += score(valRows, linearTrial(candidate.algorithm, candidate.l2, fold, choices, trainRows, valRows).predictions);
          continue;
        }
        const enc = fitEncodingPlan(data.features, choices, trainRows);
        const fitted = await fit(candidate, input.spec, data, encode(enc, data.features, trainRows), trainRows, { plan: enc }, weights);
        sum += score(valRows, fitted.predict(encode(enc, data.features, valRows)));
      }
      s = sum / folds.length;
    } else if (candidate.algorithm !== 'gbdt') {
      const trial = linearTrial(candidate.algorithm, candidate.l2, 0, choices, searchPool, split.validation);
      s = score(split.validation, trial.predictions);
      kept = { fitted: trial.fitted, enc: trial.plan };
    } else {
      const enc = fitEncodingPlan(data.features, choices, searchPool);
      const validation = { matrix: encode(enc, data.features, split.validation), rows: split.validation };
      const onIteration = async (c: GbdtCheckpoint): Promise<void> =>
        status({ ...trialStatus, iteration: c.iteration, maxIter: input.spec.training.gbdt.maxIter, best: bestSoFar() });
      const fitted = await fit(
        candidate,
        input.spec,
        data,
        encode(enc, data.features, searchPool),
        searchPool,
        { validation, onIteration, plan: enc },
        weights,
      );
      s = score(split.validation, fitted.predict(validation.matrix));
      kept = { fitted, enc };
    }
    const iterations = kept?.fitted.model.kind === 'gbdt' ? kept.fitted.model.bestIteration : undefined;
    const trial: Trial = { ...candidate, score: s, ...(iterations !== undefined ? { iterations } : {}) };
    trials.push(trial);
    lead(trial, kept?.fitted, kept?.enc);
    await deps.checkpoint?.save({ trials: [...trials] });
    progress(`trial ${t + 1}/${space.length}: ${describe(candidate)} ${metric}=${s.toFixed(5)}`);
  }
  let best = trials[0]!;
  for (const t of trials) if (!Number.isFinite(best.score) || (Number.isFinite(t.score) && better(metric, t.score, best.score))) best = t;

  timed('search');

  // training.refit — reuse: the search's model (training split, early-stopped on validation), kept from the
  // search when this attempt fitted it, else fitted again the same way; full: the best candidate fitted on
  // train + validation (a GBDT at the iteration count early stopping chose). A GBDT fit snapshots itself
  // every 10 iterations, so a retried attempt continues where this one stopped.
  const requested = input.spec.training.refit;
  const mode = requested === 'auto' ? (kfold ? 'full' : 'reuse') : requested;
  if (mode === 'reuse' && kfold)
    throw new TrainingDataError('training.refit "reuse" needs training.validation.strategy "holdout": a k-fold search fits no model to reuse');
  const finalRows =
    mode === 'full'
      ? pool.length === split.train.length + split.validation.length
        ? pool
        : Int32Array.from([...split.train, ...split.validation].sort((a, b) => a - b))
      : split.train;
  const { score: _bestScore, iterations: bestIterations, ...bestCandidate } = best;
  void _bestScore;
  const finalSpec =
    mode === 'full' && bestIterations !== undefined
      ? { ...input.spec, training: { ...input.spec.training, gbdt: { ...input.spec.training.gbdt, maxIter: Math.max(1, bestIterations) } } }
      : input.spec;
  // A search on a subsample (training.searchRows) fitted fewer rows than the final model gets: never kept.
  // A linear trial comes from its search's l2 path, solved again the same way when a retried attempt resumed the
  // trials (deterministic), so the search's linear model is always there to reuse.
  const linearKept =
    mode === 'reuse' && best.algorithm !== 'gbdt'
      ? linearTrial(best.algorithm, best.l2, 0, choicesFor(input.plan, input.selected, input.spec, best.algorithm), searchPool, split.validation)
      : undefined;
  const reused =
    mode !== 'reuse' || searchPool !== pool
      ? undefined
      : linearKept
        ? { fitted: linearKept.fitted, enc: linearKept.plan }
        : leader?.trial === best
          ? leader
          : undefined;
  const enc = reused?.enc ?? fitEncodingPlan(data.features, choicesFor(input.plan, input.selected, input.spec, best.algorithm), finalRows);
  let fitted: Fitted;
  if (reused?.fitted) {
    fitted = reused.fitted;
  } else {
    status({ phase: 'refit' });
    // Linear models fit on the sparse design and need no validation rows (no early stopping).
    const linear = isLinear(best.algorithm);
    const finalValidation = mode === 'reuse' && !linear ? { matrix: encode(enc, data.features, split.validation), rows: split.validation } : undefined;
    fitted = await fit(
      bestCandidate as Candidate,
      finalSpec,
      data,
      linear ? encodeLinear(enc, data.features, finalRows) : encode(enc, data.features, finalRows),
      finalRows,
      {
        plan: enc,
        ...(finalValidation ? { validation: finalValidation } : {}),
        onIteration: async (c: GbdtCheckpoint) => {
          status({ phase: 'refit', iteration: c.iteration, maxIter: finalSpec.training.gbdt.maxIter });
          await deps.checkpoint?.save({ trials, final: c });
        },
        ...(resumed.final && JSON.stringify(resumed.trials) === JSON.stringify(trials) ? { resume: resumed.final } : {}),
      },
      weights,
    );
  }
  const refit: RefitRecord = {
    requested,
    mode,
    reusedSearchModel: reused?.fitted !== undefined,
    rows: finalRows.length,
    ...(fitted.model.kind === 'gbdt' ? { iterations: fitted.model.bestIteration } : {}),
  };
  progress(
    refit.reusedSearchModel
      ? "final model: the search's fit (training.refit reuse)"
      : `final model: fitted on ${finalRows.length} rows (training.refit ${mode})`,
  );
  timed('refit');
  status({ phase: 'evaluate' });
  // Only the rows something reads are scored: the test split, and the threshold's rows when costs are given.
  const thresholdRows = task === 'binary' && input.spec.costs ? (kfold ? pool : split.validation) : new Int32Array(0);
  const predictions = predictOn(fitted, enc, data, thresholdRows.length > 0 ? Int32Array.from(new Set([...thresholdRows, ...split.test])).sort() : split.test);

  let threshold = 0.5;
  let costs: TrainedModel['costs'] = null;
  if (task === 'binary' && input.spec.costs) {
    const rows = thresholdRows;
    if (rows.length > 0) {
      const labels = Int32Array.from(rows, (i) => data.labels[i]!);
      const positive = positiveColumn(predictions.proba!, 2);
      const proba = Float64Array.from(rows, (i) => positive[i]!);
      const choice = chooseThreshold(labels, proba, input.spec.costs);
      threshold = choice.threshold;
      costs = { ...choice, chosenOn: kfold ? 'training rows (k-fold)' : mode === 'full' ? 'validation split (also fitted by the refit)' : 'validation split' };
    }
  }
  const card = scorecard(task, data.classes.length, data.labels, data.targets, predictions, split.test, data.slices, {
    threshold,
    minGroupSize: input.spec.governance.minGroupSize ?? 30,
    protectedAttributes: input.spec.governance.protected ?? [],
  });
  if (task === 'binary' && input.spec.costs) {
    const c = input.spec.costs;
    let total = 0;
    for (const i of split.test) {
      const y = data.labels[i]!;
      const yhat = predictions.proba![i * 2 + 1]! >= threshold ? 1 : 0;
      total += y === 1 ? (yhat === 1 ? c.tp : c.fn) : yhat === 1 ? c.fp : c.tn;
    }
    card.metrics.expected_cost = split.test.length > 0 ? total / split.test.length : null;
  }
  progress(`best ${describe(best)}; test ${metricKey}=${card.metrics[metricKey]}`);
  timed('score');
  status({ phase: 'export' });

  // One graph: encoders + model. It must reproduce the TypeScript model on the test rows. The version is
  // left out of the graph (0), so the same data + spec + seed give the same bytes whatever number it gets.
  const { bytes, signature } =
    fitted.model.kind === 'gbdt'
      ? exportGbdtOnnx(enc, fitted.model, { name: input.model, version: 0 })
      : exportLinearOnnx(enc, fitted.model, { name: input.model, version: 0 });
  timed('export');
  status({ phase: 'verify' });
  const verifyRows = sampleRows(split.test, VERIFY_MAX_ROWS, input.spec.training.seed);
  const expected =
    task === 'regression' ? Float64Array.from(verifyRows, (i) => predictions.values![i]!) : rowsOf(predictions.proba!, verifyRows, data.classes.length);
  const check = await verifyOnnx(bytes, data.features, verifyRows, expected, 1e-5);
  progress(`ONNX verified on ${check.rows} test rows (max abs diff ${check.maxAbsDiff.toExponential(2)})`);
  timed('verify');
  const latency = await measureLatency(bytes, data.features, deps.latencyCalls ?? 500);
  const trainingMs = Date.now() - started;
  timed('latency');
  status({ phase: 'importance' });

  const model = fitted.model as LogisticModel | RidgeModel | GbdtModel;
  const params: Record<string, unknown> = model.kind === 'gbdt' ? { ...model.params, bestIteration: model.bestIteration } : { ...model.params };
  const permutationRows = sampleRows(split.test, PERMUTATION_MAX_ROWS, input.spec.training.seed);
  // The sampled rows, renumbered: one array for every re-score, so the linear design re-encodes only the permuted column.
  const sampled = Int32Array.from(permutationRows, (_, k) => k);
  const permutation = permutationImportance(
    subsetColumns(data.features, permutationRows),
    sampled,
    (columns) => score(permutationRows, predictRows(fitted, enc, columns, sampled)),
    lowerIsBetter(metric),
    input.spec.training.seed,
  );
  timed('importance');
  status({ phase: 'register' });
  const sha256 = sha(bytes);
  const importance = importanceOf(model, enc);
  // The training reference the drift monitor compares production traffic with, and for a binary
  // classifier what CBPE needs to estimate performance before labels arrive (calibration on test rows).
  const reference = await storeReference(deps.artifacts, referenceSample(data.features, split.train));
  const cbpe =
    task === 'binary'
      ? cbpeReference(
          Float64Array.from(split.test, (i) => predictions.proba![i * 2 + 1]!),
          Int32Array.from(split.test, (i) => data.labels[i]!),
          threshold,
        )
      : undefined;
  const evaluation = await storeEvaluationReport(
    deps.artifacts,
    evaluationReport({
      task,
      classes: data.classes,
      threshold,
      labels: data.labels,
      targets: data.targets,
      predictions,
      idx: split.test,
      card,
    }),
  );
  const registered = await deps.registry.registerVersion({
    model: input.model,
    runKey: input.runKey,
    artifact: (version) => ({ uri: deps.artifacts.uri(`models/${input.model}/${version}/model.onnx`), sha256, type: 'Model', properties: { format: 'onnx' } }),
    signature: {
      ...signature,
      task,
      classes: data.classes,
      threshold,
      derive: input.plan.derive,
      raw: input.plan.raw.filter((r) => r.name !== input.plan.target),
    } as unknown as Record<string, unknown>,
    metrics: card.metrics,
    properties: {
      algorithm: best.algorithm,
      params,
      task,
      classes: data.classes,
      threshold,
      planUri: input.planRef.uri,
      planSha256: input.planRef.sha256,
      importance,
      permutationImportance: permutation,
      refit,
      referenceUri: reference.uri,
      referenceSha256: reference.sha256,
      evaluationUri: evaluation.uri,
      evaluationSha256: evaluation.sha256,
      spec: input.spec,
      protected: input.spec.governance.protected ?? [],
      logProtected: input.spec.governance.logProtected ?? 'hash',
      selected: input.selected,
      datasetUri: input.dataset.uri,
      datasetSha256: input.dataset.sha256,
      specSha256: sha(canonicalJson(input.spec)),
      seed: input.spec.training.seed,
      codeVersion: codeVersion(),
      ...(reweighted ? { reweight: reweighted.summary } : {}),
      ...(data.sample ? { sample: data.sample } : {}),
      ...(cbpe ? { cbpe } : {}),
    },
  });
  if (registered.sha256 !== sha256) {
    throw new Error(
      `model ${input.model} v${registered.version} was registered by this run with sha256 ${registered.sha256}, but retraining produced ${sha256}: training is not reproducible`,
    );
  }
  await deps.artifacts.putBuffer(deps.artifacts.keyOf(registered.uri), Buffer.from(bytes), 'application/octet-stream');
  progress(`registered ${input.model} v${registered.version} (${bytes.length} bytes)`);
  timed('register');
  return {
    name: input.model,
    version: registered.version,
    uri: registered.uri,
    sha256,
    task,
    classes: data.classes,
    algorithm: best.algorithm,
    params,
    metrics: card.metrics,
    slices: card.slices,
    fairness: card.fairness,
    ...(card.confusion ? { confusion: card.confusion } : {}),
    importance,
    permutationImportance: permutation,
    permutationRows: permutationRows.length,
    refit,
    timingsMs: timings,
    threshold,
    costs,
    trials,
    searchCutShort,
    primaryMetric: metricKey,
    latency,
    sizeBytes: bytes.length,
    trainingMs,
    rows: {
      train: split.train.length,
      validation: split.validation.length,
      test: split.test.length,
      droppedMissingTarget: data.droppedRows,
      search: searchPool.length,
    },
    signature,
    codeVersion: codeVersion(),
    ...(reweighted ? { reweight: reweighted.summary } : {}),
    ...(data.sample ? { sample: data.sample } : {}),
  };
}

async function shiftWeights(
  input: TrainInput,
  data: TrainingData,
  loggedRows: ((model: string, windowSeconds: number) => Promise<Record<string, unknown>[]>) | undefined,
): Promise<DomainWeights> {
  if (!loggedRows) throw new Error('training with reweight needs access to the prediction log');
  const current = await loggedRows(input.model, input.reweight!.windowSeconds);
  if (current.length === 0)
    throw new TrainingDataError(
      `monitor.onDrift reweight: model ${input.model} logged no predictions in the last ${input.reweight!.windowSeconds} s to reweight towards`,
    );
  return domainWeights(data.features, data.rows, current);
}

/** The model's predictions on `rows`, laid out by row index like predictions on every row (other rows NaN). */
function predictOn(fitted: Fitted, enc: EncodingPlan, data: TrainingData, rows: Int32Array): Predictions {
  const p = predictRows(fitted, enc, data.features, rows);
  const total = data.rows;
  const scatter = (src: Float64Array, width: number): Float64Array => {
    const out = new Float64Array(total * width).fill(NaN);
    for (let k = 0; k < rows.length; k++) for (let c = 0; c < width; c++) out[rows[k]! * width + c] = src[k * width + c]!;
    return out;
  };
  return p.proba ? { proba: scatter(p.proba, data.classes.length) } : { values: scatter(p.values!, 1) };
}

function rowsOf(proba: Float64Array, rows: Int32Array, classes: number): Float64Array {
  const out = new Float64Array(rows.length * classes);
  for (let k = 0; k < rows.length; k++) for (let c = 0; c < classes; c++) out[k * classes + c] = proba[rows[k]! * classes + c]!;
  return out;
}

function sha(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export type { Metrics };
