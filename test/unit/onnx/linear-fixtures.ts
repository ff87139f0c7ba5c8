// Hand-made data, encoding choices and linear models for the ONNX export tests, plus the TypeScript reference
// predictions (dot / sigmoid / softmax over the encoded matrix) the graph must reproduce.
import { normalFrom, seededRandom } from '../../../core/random';
import type { FeatureColumn } from '../../../core/features/encode';
import type { LinearModel, Matrix } from '../../../core/ml/model';

export const CHOICES = {
  age: { encoding: 'standardize' },
  income: { encoding: 'standardize' },
  plan: { encoding: 'onehot', topK: 3 },
  size: { encoding: 'ordinal' },
} as const;

const PLANS = ['basic', 'pro', 'team', 'enterprise', 'edu'];
const SIZES = ['S', 'M', 'L', 'XL'];

/**
 * `n` rows: the first `train` are the training split. Test rows add what training never saw: ±Infinity,
 * NaN, huge and tiny numbers, unknown categories, nulls and empty strings.
 */
export function churnColumns(n: number, train: number, seed = 42): { columns: FeatureColumn[]; trainIdx: Int32Array; testIdx: Int32Array } {
  const random = seededRandom(seed);
  const normal = normalFrom(random);
  const age = new Float64Array(n);
  const income = new Float64Array(n);
  const plan: (string | null)[] = [];
  const size: (string | null)[] = [];
  for (let i = 0; i < n; i++) {
    age[i] = random() < 0.05 ? NaN : 40 + 12 * normal();
    income[i] = 52_000 + 9_000 * normal();
    const p = random();
    plan.push(p < 0.04 ? null : p < 0.07 ? '' : (PLANS[Math.floor(random() * PLANS.length)] ?? 'basic'));
    size.push(random() < 0.05 ? null : (SIZES[Math.floor(random() * SIZES.length)] ?? 'S'));
    if (i >= train) {
      const odd = i % 9;
      if (odd === 0) age[i] = Infinity;
      if (odd === 1) age[i] = -Infinity;
      if (odd === 2) income[i] = NaN;
      if (odd === 3) income[i] = 1e39; // finite in float64, Infinity in float32: missing in both
      if (odd === 4) plan[i] = 'unheard-of';
      if (odd === 5) size[i] = 'XXL';
      if (odd === 6) size[i] = '';
      if (odd === 7) income[i] = 123_456_789.123;
    }
  }
  return {
    columns: [
      { name: 'age', kind: 'numeric', values: age },
      { name: 'income', kind: 'numeric', values: income },
      { name: 'plan', kind: 'categorical', values: plan },
      { name: 'size', kind: 'categorical', values: size },
    ],
    trainIdx: Int32Array.from({ length: train }, (_, i) => i),
    testIdx: Int32Array.from({ length: n - train }, (_, i) => train + i),
  };
}

const PARAMS = { l2: 1, maxIter: 100, tol: 1e-8, iterations: 12, converged: true };

/** Fixed coefficients, a different pattern per row so every class gets its own scores. */
function coefficients(rows: number, width: number): Float64Array {
  return Float64Array.from({ length: rows * width }, (_, i) => Math.sin(1.3 * i + 0.7) * (1 + (i % 3)) * 0.8);
}

export function binaryModel(width: number): LinearModel {
  return { kind: 'logistic', classes: ['no', 'yes'], coefficients: coefficients(1, width), intercepts: Float64Array.of(-0.35), width, params: PARAMS };
}

export function multinomialModel(width: number): LinearModel {
  return {
    kind: 'logistic',
    classes: ['high', 'low', 'mid'],
    coefficients: coefficients(3, width),
    intercepts: Float64Array.of(0.2, -0.1, 0.05),
    width,
    params: PARAMS,
  };
}

export function ridgeModel(width: number): LinearModel {
  return { kind: 'ridge', coefficients: coefficients(1, width).map((c) => 3 * c), intercept: 2.5, width, params: { l2: 1 } };
}

/** The TypeScript model's predictions: probabilities rows × C (binary → [1 − p, p]) or values rows × 1. */
export function referencePredictions(model: LinearModel, x: Matrix): Float64Array {
  const dot = (coef: Float64Array, row: number, k: number): number => {
    let s = 0;
    for (let j = 0; j < x.cols; j++) s += (coef[k * x.cols + j] ?? 0) * (x.values[row * x.cols + j] ?? 0);
    return s;
  };
  if (model.kind === 'ridge') return Float64Array.from({ length: x.rows }, (_, r) => model.intercept + dot(model.coefficients, r, 0));
  const c = model.classes.length;
  const out = new Float64Array(x.rows * c);
  for (let r = 0; r < x.rows; r++) {
    if (c === 2) {
      const p = 1 / (1 + Math.exp(-((model.intercepts[0] ?? 0) + dot(model.coefficients, r, 0))));
      out[r * 2] = 1 - p;
      out[r * 2 + 1] = p;
      continue;
    }
    const z = Array.from({ length: c }, (_, k) => (model.intercepts[k] ?? 0) + dot(model.coefficients, r, k));
    const m = Math.max(...z);
    const e = z.map((v) => Math.exp(v - m));
    const sum = e.reduce((a, b) => a + b, 0);
    e.forEach((v, k) => (out[r * c + k] = v / sum));
  }
  return out;
}
