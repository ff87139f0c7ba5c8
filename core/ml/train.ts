// The train stage: encode the selected features (fit on the training rows), search algorithms and L2
// strengths on validation data (or k-fold), choose the decision threshold from costs, score the test split,
// export encoders + model as one ONNX graph, verify it in onnxruntime against the TypeScript model, measure
// its serving cost, and register it as the model's next version. Same data + spec + seed → same ONNX bytes.
import { createHash } from 'node:crypto';
import { withDatasetTable } from '../data/dataset-table';
import type { DatasetRef, Progress } from '../data/ingest';
import { canonicalJson } from '../data/validate';
import { encode, fitEncodingPlan, type EncodingChoice } from '../features/encode';
import type { FeaturePlan } from '../features/plan';
import { measureLatency, type OnnxLatency } from '../onnx/latency';
import { exportLinearOnnx } from '../onnx/linear';
import { exportGbdtOnnx } from '../onnx/trees';
import type { OnnxSignature } from '../onnx/signature';
import { verifyOnnx } from '../onnx/verify';
import { seededRandom } from '../random';
import type { Algorithm, PipelineSpec, Task } from '../spec';
import type { ArtifactRef, ArtifactStore } from '../store/artifacts';
import type { ModelRegistry } from '../store/registry';
import { codeVersion } from '../version';
import { fitLogistic, predictProba, type LogisticModel } from './logistic';
import { fitGbdt, gbdtGainImportance, predictGbdt, type GbdtCheckpoint } from './gbdt';
import type { EncodingPlan, GbdtModel, LinearModel, Matrix } from './model';
import { absoluteByFeature } from './importance';
import { permutationImportance } from './permutation';
import { fitRidge, predictValue, type RidgeModel } from './ridge';
import { LOWER_IS_BETTER, metricsOf, positiveColumn, PRIMARY_METRIC, scorecard, type Metrics, type Predictions, type Scorecard } from './scorecard';
import { stratifiedKFold } from './splits';
import { chooseThreshold, type ThresholdChoice } from './threshold';
import { prepareTrainingData, TrainingDataError, type TrainingData } from './training-data';
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
  | { algorithm: 'logistic' | 'ridge'; l2: number }
  | { algorithm: 'gbdt'; learningRate: number; maxLeaves: number; minSamplesLeaf: number };

export type Trial = Candidate & { score: number };

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
  /** Drop of the primary metric on the test split when each feature is shuffled. */
  permutationImportance: Record<string, number>;
  threshold: number;
  costs: (ThresholdChoice & { chosenOn: string }) | null;
  trials: Trial[];
  /** The search stopped at training.timeBudgetSeconds before trying every candidate. */
  searchCutShort: boolean;
  primaryMetric: string;
  latency: OnnxLatency;
  sizeBytes: number;
  trainingMs: number;
  rows: { train: number; validation: number; test: number; droppedMissingTarget: number };
  signature: OnnxSignature;
  codeVersion: string;
  /** Present when the rows were reweighted towards recent traffic (monitor.onDrift "reweight"). */
  reweight?: ReweightSummary;
}

type Fitted = { model: LinearModel | GbdtModel; predict: (m: Matrix) => Predictions };

/**
 * The ONNX graph stores coefficients as float32. Rounding them the same way in the TypeScript model leaves
 * only float32 accumulation between the two, so the export check can hold them to 1e-5.
 */
function roundCoefficients<M extends LinearModel>(model: M): M {
  const coefficients = model.coefficients.map((c) => Math.fround(c));
  if (model.kind === 'logistic') return { ...model, coefficients, intercepts: model.intercepts.map((c) => Math.fround(c)) };
  return { ...model, coefficients, intercept: Math.fround(model.intercept) };
}

async function fit(
  c: Candidate,
  spec: PipelineSpec,
  data: TrainingData,
  m: Matrix,
  rows: Int32Array,
  gbdt: { validation?: { matrix: Matrix; rows: Int32Array }; onIteration?: (c: GbdtCheckpoint) => Promise<void>; resume?: GbdtCheckpoint } = {},
  weights?: Float64Array,
): Promise<Fitted> {
  const sampleWeights = weights ? Float64Array.from(rows, (i) => weights[i]!) : undefined;
  if (c.algorithm === 'gbdt') {
    const classification = data.task !== 'regression';
    const target = classification ? { labels: Int32Array.from(rows, (i) => data.labels[i]!), classes: data.classes } : { targets: Float64Array.from(rows, (i) => data.targets[i]!) };
    const validation = gbdt.validation && gbdt.validation.rows.length > 0
      ? {
          matrix: gbdt.validation.matrix,
          ...(classification ? { labels: Int32Array.from(gbdt.validation.rows, (i) => data.labels[i]!) } : { targets: Float64Array.from(gbdt.validation.rows, (i) => data.targets[i]!) }),
        }
      : undefined;
    const model = await fitGbdt(
      m,
      target,
      { maxIter: spec.training.gbdt.maxIter, learningRate: c.learningRate, maxLeaves: c.maxLeaves, minSamplesLeaf: c.minSamplesLeaf, seed: spec.training.seed },
      { ...(validation ? { validation } : {}), ...(sampleWeights ? { sampleWeights } : {}), ...(gbdt.onIteration ? { onIteration: gbdt.onIteration, checkpointEvery: 10 } : {}), ...(gbdt.resume ? { resume: gbdt.resume } : {}) },
    );
    return { model, predict: (x) => (classification ? { proba: predictGbdt(model, x) } : { values: predictGbdt(model, x) }) };
  }
  if (c.algorithm === 'logistic') {
    const labels = Int32Array.from(rows, (i) => data.labels[i]!);
    const model = roundCoefficients(fitLogistic(m, labels, data.classes, { l2: c.l2, maxIter: 200, tol: 1e-8, ...(sampleWeights ? { sampleWeights } : {}) }));
    return { model, predict: (x) => ({ proba: predictProba(model, x) }) };
  }
  const targets = Float64Array.from(rows, (i) => data.targets[i]!);
  const model = roundCoefficients(fitRidge(m, targets, { l2: c.l2, ...(sampleWeights ? { sampleWeights } : {}) }));
  return { model, predict: (x) => ({ values: predictValue(model, x) }) };
}

function score(task: Task, data: TrainingData, rows: Int32Array, p: Predictions): number {
  const labels = task === 'regression' ? new Int32Array(0) : Int32Array.from(rows, (i) => data.labels[i]!);
  const targets = task === 'regression' ? Float64Array.from(rows, (i) => data.targets[i]!) : new Float64Array(0);
  return metricsOf(task, data.classes.length, labels, targets, p, 0.5)[PRIMARY_METRIC[task]] ?? NaN;
}

const better = (metric: string, a: number, b: number): boolean => (LOWER_IS_BETTER.has(metric) ? a < b : a > b);

/** The candidates a search tries: every fitting algorithm × its grid, cut to `trials` by a seeded shuffle. */
export function searchSpace(task: Task, spec: PipelineSpec): Candidate[] {
  const fits = (a: Algorithm): boolean => a === 'gbdt' || (task === 'regression' ? a === 'ridge' : a === 'logistic');
  const wanted: Algorithm[] = spec.training.algorithms.length > 0 ? spec.training.algorithms : [task === 'regression' ? 'ridge' : 'logistic'];
  const algorithms = wanted.filter(fits);
  if (algorithms.length === 0) throw new TrainingDataError(`training.algorithms ${JSON.stringify(wanted)} has none for a ${task} task (${task === 'regression' ? 'ridge' : 'logistic'} or gbdt fit)`);
  const all: Candidate[] = algorithms.flatMap((algorithm): Candidate[] => {
    if (algorithm !== 'gbdt') return spec.training.l2.map((l2) => ({ algorithm, l2 }));
    const g = spec.training.gbdt;
    return g.learningRate.flatMap((learningRate) => g.maxLeaves.flatMap((maxLeaves) => g.minSamplesLeaf.map((minSamplesLeaf) => ({ algorithm, learningRate, maxLeaves, minSamplesLeaf }))));
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
    const asked = spec.features.encodings?.[name];
    const kind = kinds.get(name);
    // Trees take numbers as they are (missing values routed by the trees); linear models need them scaled.
    const encoding = asked ?? (kind === 'categorical' ? 'onehot' : algorithm === 'gbdt' ? 'passthrough' : 'standardize');
    if (encoding === 'standardize' && kind === 'categorical') throw new TrainingDataError(`features.encodings.${name}: a categorical feature cannot be standardized; use onehot or ordinal`);
    out[name] = encoding === 'onehot' ? { encoding, topK: spec.features.topK ?? 20 } : { encoding: encoding as EncodingChoice['encoding'] };
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
    latencyCalls?: number;
    checkpoint?: CheckpointHooks;
    /** Logged features of the model's recent predictions (needed for `input.reweight`). */
    loggedRows?: (model: string, windowSeconds: number) => Promise<Record<string, unknown>[]>;
  },
): Promise<TrainedModel> {
  const progress = deps.onProgress ?? (() => undefined);
  const started = Date.now();
  const data = await withDatasetTable(deps.artifacts, input.dataset, (conn, table) => prepareTrainingData(conn, table, input.plan, input.selected, input.spec));
  const { split, task } = data;
  progress(`${task} task: ${split.train.length} train, ${split.validation.length} validation, ${split.test.length} test rows`);
  const reweighted = input.reweight ? await shiftWeights(input, data, deps.loggedRows) : undefined;
  if (reweighted) progress(`reweighted training rows by a domain classifier (AUC ${reweighted.summary.domainAuc}, effective rows ${reweighted.summary.effectiveRows})`);
  const weights = reweighted?.weights;
  const space = searchSpace(task, input.spec);
  const metric = PRIMARY_METRIC[task];
  const kfold = input.spec.training.validation.strategy === 'kfold';
  const pool = kfold ? Int32Array.from([...split.train, ...split.validation].sort((a, b) => a - b)) : split.train;
  const resumed = (await deps.checkpoint?.load()) ?? { trials: [] };
  const trials: Trial[] = [];
  const budget = input.spec.training.timeBudgetSeconds;
  let searchCutShort = false;
  const describe = (c: Candidate): string => (c.algorithm === 'gbdt' ? `gbdt lr=${c.learningRate} leaves=${c.maxLeaves} minLeaf=${c.minSamplesLeaf}` : `${c.algorithm} l2=${c.l2}`);

  for (const [t, candidate] of space.entries()) {
    const done = resumed.trials[t];
    if (done && JSON.stringify({ ...done, score: 0 }) === JSON.stringify({ ...candidate, score: 0 })) {
      trials.push(done); // finished by an earlier attempt of this activity
      continue;
    }
    if (budget !== null && trials.length > 0 && (Date.now() - started) / 1000 > budget) {
      searchCutShort = true;
      progress(`time budget of ${budget} s reached after ${trials.length} of ${space.length} trials`);
      break;
    }
    const choices = choicesFor(input.plan, input.selected, input.spec, candidate.algorithm);
    let s: number;
    if (kfold) {
      const folds = task === 'regression'
        ? stratifiedKFold(new Int32Array(pool.length), input.spec.training.validation.folds, input.spec.training.seed)
        : stratifiedKFold(Int32Array.from(pool, (i) => data.labels[i]!), input.spec.training.validation.folds, input.spec.training.seed);
      let sum = 0;
      for (const f of folds) {
        const trainRows = Int32Array.from(f.train, (k) => pool[k]!);
        const valRows = Int32Array.from(f.validation, (k) => pool[k]!);
        const enc = fitEncodingPlan(data.features, choices, trainRows);
        const fitted = await fit(candidate, input.spec, data, encode(enc, data.features, trainRows), trainRows, {}, weights);
        sum += score(task, data, valRows, fitted.predict(encode(enc, data.features, valRows)));
      }
      s = sum / folds.length;
    } else {
      const enc = fitEncodingPlan(data.features, choices, split.train);
      const validation = { matrix: encode(enc, data.features, split.validation), rows: split.validation };
      const fitted = await fit(candidate, input.spec, data, encode(enc, data.features, split.train), split.train, { validation }, weights);
      s = score(task, data, split.validation, fitted.predict(validation.matrix));
    }
    trials.push({ ...candidate, score: s });
    await deps.checkpoint?.save({ trials: [...trials] });
    progress(`trial ${t + 1}/${space.length}: ${describe(candidate)} ${metric}=${s.toFixed(5)}`);
  }
  let best = trials[0]!;
  for (const t of trials) if (!Number.isFinite(best.score) || (Number.isFinite(t.score) && better(metric, t.score, best.score))) best = t;

  // The final model learns from the rows the search used for fitting (k-fold: train + validation). A GBDT
  // fit snapshots itself every 10 iterations, so a retried attempt continues where this one stopped.
  const choices = choicesFor(input.plan, input.selected, input.spec, best.algorithm);
  const enc = fitEncodingPlan(data.features, choices, pool);
  const finalValidation = kfold ? undefined : { matrix: encode(enc, data.features, split.validation), rows: split.validation };
  const { score: _bestScore, ...bestCandidate } = best;
  void _bestScore;
  const fitted = await fit(bestCandidate as Candidate, input.spec, data, encode(enc, data.features, pool), pool, {
    ...(finalValidation ? { validation: finalValidation } : {}),
    ...(deps.checkpoint ? { onIteration: (c: GbdtCheckpoint) => deps.checkpoint!.save({ trials, final: c }) } : {}),
    ...(resumed.final && JSON.stringify(resumed.trials) === JSON.stringify(trials) ? { resume: resumed.final } : {}),
  }, weights);
  const allMatrix = encode(enc, data.features);
  const predictions = fitted.predict(allMatrix);

  let threshold = 0.5;
  let costs: TrainedModel['costs'] = null;
  if (task === 'binary' && input.spec.costs) {
    const rows = kfold ? pool : split.validation;
    if (rows.length > 0) {
      const labels = Int32Array.from(rows, (i) => data.labels[i]!);
      const proba = Float64Array.from(rows, (i) => positiveColumn(predictions.proba!, 2)[i]!);
      const choice = chooseThreshold(labels, proba, input.spec.costs);
      threshold = choice.threshold;
      costs = { ...choice, chosenOn: kfold ? 'training rows (k-fold)' : 'validation split' };
    }
  }
  const card = scorecard(task, data.classes.length, data.labels, data.targets, predictions, split.test, data.slices, {
    threshold,
    minGroupSize: input.spec.governance.minGroupSize ?? 30,
    protectedAttributes: input.spec.governance.protected ?? [],
  });
  if (task === 'binary' && input.spec.costs) {
    const c = { tp: 0, tn: 0, ...input.spec.costs };
    let total = 0;
    for (const i of split.test) {
      const y = data.labels[i]!;
      const yhat = predictions.proba![i * 2 + 1]! >= threshold ? 1 : 0;
      total += y === 1 ? (yhat === 1 ? c.tp : c.fn) : yhat === 1 ? c.fp : c.tn;
    }
    card.metrics.expected_cost = split.test.length > 0 ? total / split.test.length : null;
  }
  progress(`best ${describe(best)}; test ${metric}=${card.metrics[metric]}`);

  // One graph: encoders + model. It must reproduce the TypeScript model on the test rows. The version is
  // left out of the graph (0), so the same data + spec + seed give the same bytes whatever number it gets.
  const { bytes, signature } = fitted.model.kind === 'gbdt'
    ? exportGbdtOnnx(enc, fitted.model, { name: input.model, version: 0 })
    : exportLinearOnnx(enc, fitted.model, { name: input.model, version: 0 });
  const expected = task === 'regression' ? Float64Array.from(split.test, (i) => predictions.values![i]!) : rowsOf(predictions.proba!, split.test, data.classes.length);
  const check = await verifyOnnx(bytes, data.features, split.test, expected, 1e-5);
  progress(`ONNX verified on ${check.rows} test rows (max abs diff ${check.maxAbsDiff.toExponential(2)})`);
  const latency = await measureLatency(bytes, data.features, deps.latencyCalls ?? 500);
  const trainingMs = Date.now() - started;

  const model = fitted.model as LogisticModel | RidgeModel | GbdtModel;
  const params: Record<string, unknown> = model.kind === 'gbdt' ? { ...model.params, bestIteration: model.bestIteration } : { ...model.params };
  const permutation = permutationImportance(
    data.features,
    split.test,
    (columns) => score(task, data, split.test, fitted.predict(encode(enc, columns, split.test))),
    LOWER_IS_BETTER.has(metric),
    input.spec.training.seed,
  );
  const sha256 = sha(bytes);
  const importance = importanceOf(model, enc);
  // The training reference the drift monitor compares production traffic with.
  const reference = await storeReference(deps.artifacts, referenceSample(data.features, split.train));
  const registered = await deps.registry.registerVersion({
    model: input.model,
    runKey: input.runKey,
    artifact: (version) => ({ uri: deps.artifacts.uri(`models/${input.model}/${version}/model.onnx`), sha256, type: 'Model', properties: { format: 'onnx' } }),
    signature: { ...signature, task, classes: data.classes, threshold, derive: input.plan.derive, raw: input.plan.raw.filter((r) => r.name !== input.plan.target) } as unknown as Record<string, unknown>,
    metrics: card.metrics,
    properties: {
      algorithm: best.algorithm, params, task, classes: data.classes, threshold, planUri: input.planRef.uri, planSha256: input.planRef.sha256,
      importance, permutationImportance: permutation, referenceUri: reference.uri, referenceSha256: reference.sha256, spec: input.spec, protected: input.spec.governance.protected ?? [], logProtected: input.spec.governance.logProtected ?? 'hash',
      selected: input.selected, datasetUri: input.dataset.uri, datasetSha256: input.dataset.sha256, specSha256: sha(canonicalJson(input.spec)),
      seed: input.spec.training.seed, codeVersion: codeVersion(), ...(reweighted ? { reweight: reweighted.summary } : {}),
    },
  });
  if (registered.sha256 !== sha256) {
    throw new Error(`model ${input.model} v${registered.version} was registered by this run with sha256 ${registered.sha256}, but retraining produced ${sha256}: training is not reproducible`);
  }
  await deps.artifacts.putBuffer(deps.artifacts.keyOf(registered.uri), Buffer.from(bytes), 'application/octet-stream');
  progress(`registered ${input.model} v${registered.version} (${bytes.length} bytes)`);
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
    threshold,
    costs,
    trials,
    searchCutShort,
    primaryMetric: metric,
    latency,
    sizeBytes: bytes.length,
    trainingMs,
    rows: { train: split.train.length, validation: split.validation.length, test: split.test.length, droppedMissingTarget: data.droppedRows },
    signature,
    codeVersion: codeVersion(),
    ...(reweighted ? { reweight: reweighted.summary } : {}),
  };
}

async function shiftWeights(input: TrainInput, data: TrainingData, loggedRows: ((model: string, windowSeconds: number) => Promise<Record<string, unknown>[]>) | undefined): Promise<DomainWeights> {
  if (!loggedRows) throw new Error('training with reweight needs access to the prediction log');
  const current = await loggedRows(input.model, input.reweight!.windowSeconds);
  if (current.length === 0) throw new TrainingDataError(`monitor.onDrift reweight: model ${input.model} logged no predictions in the last ${input.reweight!.windowSeconds} s to reweight towards`);
  return domainWeights(data.features, data.rows, current);
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
