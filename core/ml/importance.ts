// Model-based feature importance for selection: a regularized linear model fitted on an even sample of the
// rows (standardized numerics, one-hot categoricals); a feature's importance is the sum of its absolute
// standardized coefficients. Cheap, deterministic, and comparable across features of both kinds.
import type { DataColumn } from '../data/columns';
import { encode, encodingWidth, fitEncodingPlan, type EncodingChoice } from '../features/encode';
import { strideSample } from '../features/select';
import { fitLogistic } from './logistic';
import type { EncodingPlan } from './model';
import { fitRidge } from './ridge';

export function modelImportance(features: DataColumn[], target: DataColumn, rows: number, sampleRows = 20_000): Map<string, number> {
  const sample = strideSample(rows, sampleRows);
  const present = Int32Array.from(
    Array.from(sample).filter((i) => {
      const v = target.values[i];
      return v !== null && v !== undefined && !(typeof v === 'number' && !Number.isFinite(v));
    }),
  );
  const choices: Record<string, EncodingChoice> = {};
  for (const f of features) choices[f.name] = f.kind === 'numeric' ? { encoding: 'standardize' } : { encoding: 'onehot', topK: 20 };
  const plan = fitEncodingPlan(features, choices, present);
  const matrix = encode(plan, features, present);
  const values = Array.from(present, (i) => target.values[i]!);
  const distinct = [...new Set(values.map(String))].sort();
  let coefficients: Float64Array;
  let perClass = 1;
  if (target.kind === 'categorical' || distinct.length === 2) {
    if (distinct.length < 2) return new Map(features.map((f) => [f.name, 0]));
    const index = new Map(distinct.map((c, k) => [c, k]));
    const labels = Int32Array.from(values, (v) => index.get(String(v))!);
    const model = fitLogistic(matrix, labels, distinct, { l2: 1, maxIter: 100, tol: 1e-6 });
    coefficients = model.coefficients;
    perClass = model.coefficients.length / plan.width;
  } else {
    coefficients = fitRidge(matrix, Float64Array.from(values as number[]), { l2: 1 }).coefficients;
  }
  return absoluteByFeature(plan, coefficients, perClass);
}

/**
 * Per raw feature: the sum of |weight| over its encoded columns (and over `rows` stacked weight rows, e.g. one
 * per class). Weights are model-matrix wide: coefficients, or split gain for trees.
 */
export function absoluteByFeature(plan: EncodingPlan, weights: ArrayLike<number>, rows = 1): Map<string, number> {
  const out = new Map<string, number>();
  let offset = 0;
  for (const c of plan.columns) {
    const w = encodingWidth(c);
    let sum = 0;
    for (let r = 0; r < rows; r++) for (let k = 0; k < w; k++) sum += Math.abs(weights[r * plan.width + offset + k]!);
    out.set(c.input, (out.get(c.input) ?? 0) + sum);
    offset += w;
  }
  return out;
}
