// The train stage's linear side (logistic and ridge): fits on the sparse LinearDesign, the search's l2 grid
// solved as one regularization path per (algorithm, fold), and the seeded stratified subsample the search may
// fit on (training.searchRows). train-search.ts and train-fit.ts call these; trees keep their own matrix and fit.
import { encode, fitEncodingPlan, type EncodingChoice, type FeatureColumn } from '../features/encode';
import { encodeLinear, reencodeLinear } from '../features/encode-linear';
import { seededRandom } from '../random';
import type { Algorithm } from '../spec';
import type { LinearDesign } from './linear-design';
import type { ChunkPass } from './linear-objective';
import { fitLogisticPath, predictProbaDesign } from './logistic-design';
import { predictProba } from './logistic';
import type { EncodingPlan, LinearModel, Matrix } from './model';
import { fitRidgePath, predictValueDesign } from './ridge-design';
import { predictValue } from './ridge';
import type { Predictions } from './scorecard';
import type { TrainingData } from './training-data';

export type LinearAlgorithm = 'logistic' | 'ridge';

export interface LinearFitted {
  model: LinearModel;
  /** On the dense matrix (what tree and linear fits share in the train stage). */
  predict: (m: Matrix) => Predictions;
  /** On the sparse design: what the train stage scores linear models with. */
  predictDesign: (d: LinearDesign) => Predictions;
}

/**
 * The ONNX graph stores coefficients as float32. Rounding them the same way in the TypeScript model leaves
 * only float32 accumulation between the two, so the export check can hold them to 1e-5.
 */
export function roundCoefficients<M extends LinearModel>(model: M): M {
  const coefficients = model.coefficients.map((c) => Math.fround(c));
  if (model.kind === 'logistic') return { ...model, coefficients, intercepts: model.intercepts.map((c) => Math.fround(c)) };
  return { ...model, coefficients, intercept: Math.fround(model.intercept) };
}

function fitted(model: LinearModel): LinearFitted {
  if (model.kind === 'logistic')
    return { model, predict: (m) => ({ proba: predictProba(model, m) }), predictDesign: (d) => ({ proba: predictProbaDesign(model, d) }) };
  return { model, predict: (m) => ({ values: predictValue(model, m) }), predictDesign: (d) => ({ values: predictValueDesign(model, d) }) };
}

/** Fits `l2s` on `rows` of `data` (their design given) as one path; fits in the order of `l2s`. */
export function fitLinearPath(
  algorithm: LinearAlgorithm,
  l2s: readonly number[],
  data: TrainingData,
  design: LinearDesign,
  rows: Int32Array,
  weights?: Float64Array,
  pass?: ChunkPass,
): LinearFitted[] {
  const sampleWeights = weights ? Float64Array.from(rows, (i) => weights[i]!) : undefined;
  if (algorithm === 'logistic') {
    const labels = Int32Array.from(rows, (i) => data.labels[i]!);
    const fits = fitLogisticPath(design, labels, data.classes, l2s, {
      maxIter: 200,
      tol: 1e-8,
      ...(sampleWeights ? { sampleWeights } : {}),
      ...(pass ? { pass } : {}),
    });
    return fits.map((f) => fitted(roundCoefficients(f.model)));
  }
  const targets = Float64Array.from(rows, (i) => data.targets[i]!);
  return fitRidgePath(design, targets, l2s, sampleWeights).map((m) => fitted(roundCoefficients(m)));
}

// The last design encoded per row set (permutation importance scores the same test rows once per feature).
const lastDesign = new WeakMap<Int32Array, { plan: EncodingPlan; columns: FeatureColumn[]; design: LinearDesign }>();

/**
 * Predictions of a fitted model on `rows` (all when omitted): linear ones on the sparse design, trees on the
 * matrix. For the same `rows` and plan as the call before, only the columns given as other objects are
 * re-encoded (a permuted feature); the rest is copied.
 */
export function predictRows(
  fit: { predict: (m: Matrix) => Predictions; predictDesign?: (d: LinearDesign) => Predictions },
  plan: EncodingPlan,
  columns: FeatureColumn[],
  rows?: Int32Array,
): Predictions {
  if (!fit.predictDesign) return fit.predict(encode(plan, columns, rows));
  if (rows === undefined) return fit.predictDesign(encodeLinear(plan, columns));
  const last = lastDesign.get(rows);
  if (last?.plan === plan) return fit.predictDesign(reencodeLinear(last.design, last.columns, plan, columns, rows));
  const design = encodeLinear(plan, columns, rows);
  lastDesign.set(rows, { plan, columns, design });
  return fit.predictDesign(design);
}

/** One linear trial: its validation predictions, and the model (with its encoding plan) that made them. */
export interface LinearTrial {
  predictions: Predictions;
  fitted: LinearFitted;
  plan: EncodingPlan;
}

/**
 * The linear trials of one search. The first trial of an algorithm on a fold solves every l2 the search has
 * for it as one path (strongest penalty first, each fit warm-started) and scores them all on the fold's
 * validation rows; later trials read their score's predictions from that.
 */
export function linearSearch(
  l2sOf: (algorithm: LinearAlgorithm) => number[],
  data: TrainingData,
  weights: Float64Array | undefined,
  pass?: ChunkPass,
): (
  algorithm: LinearAlgorithm,
  l2: number,
  fold: number,
  choices: Record<string, EncodingChoice>,
  trainRows: Int32Array,
  validationRows: Int32Array,
) => LinearTrial {
  const solved = new Map<string, Map<number, LinearTrial>>();
  return (algorithm, l2, fold, choices, trainRows, validationRows) => {
    const key = `${algorithm}/${fold}`;
    let byL2 = solved.get(key);
    if (byL2 === undefined) {
      const plan = fitEncodingPlan(data.features, choices, trainRows);
      const l2s = [...new Set([...l2sOf(algorithm), l2])];
      const fits = fitLinearPath(algorithm, l2s, data, encodeLinear(plan, data.features, trainRows), trainRows, weights, pass);
      const validation = encodeLinear(plan, data.features, validationRows);
      byL2 = new Map(l2s.map((v, i) => [v, { predictions: fits[i]!.predictDesign(validation), fitted: fits[i]!, plan }]));
      solved.set(key, byL2);
    }
    return byL2.get(l2)!;
  };
}

/**
 * A seeded subsample of `n` of `rows` (all of them when n is null or ≥ their count), stratified by class for
 * classification: each class keeps its share, rounded, and the rows stay in their original order.
 */
export function searchSubsample(rows: Int32Array, n: number | null, data: TrainingData, seed: number): Int32Array {
  if (n === null || n >= rows.length) return rows;
  const groups = new Map<number, number[]>();
  for (const r of rows) {
    const g = data.task === 'regression' ? 0 : data.labels[r]!;
    let list = groups.get(g);
    if (list === undefined) groups.set(g, (list = []));
    list.push(r);
  }
  const random = seededRandom(seed ^ 0x5ea4c4);
  const chosen: number[] = [];
  for (const g of [...groups.keys()].sort((a, b) => a - b)) {
    const list = groups.get(g)!;
    const take = Math.max(1, Math.round((n * list.length) / rows.length));
    for (let i = 0; i < take; i++) {
      const j = i + Math.floor(random() * (list.length - i));
      [list[i], list[j]] = [list[j]!, list[i]!];
      chosen.push(list[i]!);
    }
  }
  return Int32Array.from(chosen.sort((a, b) => a - b));
}

export const isLinear = (a: Algorithm): a is LinearAlgorithm => a === 'logistic' || a === 'ridge';
