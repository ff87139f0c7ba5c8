// Ridge regression in closed form: minimize Σᵢ sᵢ (yᵢ − w·xᵢ − b)² + l2 · ‖w‖² with the intercept b unpenalized,
// which is scikit-learn's Ridge(alpha = l2, fit_intercept = True). Centring x and y by their (weighted) means
// removes b; the D×D normal equations (XᵀSX + l2·I) w = XᵀS y are then solved by Cholesky and b = ȳ − x̄·w.
import { choleskyFactor, choleskySolve } from './cholesky';
import type { LinearModel, Matrix } from './model';
import { checkL2, checkMatrix, checkWeights, checkWidth } from './input-checks';

export type RidgeModel = Extract<LinearModel, { kind: 'ridge' }>;

export interface RidgeOptions {
  /** Penalty on ‖w‖² (sklearn's alpha). ≥ 0; 0 is least squares and fails on collinear columns. Default 1. */
  l2?: number;
  /** One finite weight ≥ 0 per row. */
  sampleWeights?: Float64Array;
}

export function fitRidge(matrix: Matrix, targets: Float64Array, options: RidgeOptions = {}): RidgeModel {
  const what = 'ridge regression';
  const l2 = options.l2 ?? 1;
  checkL2(l2, what, false);
  checkMatrix(matrix, what);
  const { rows, cols: d, values: x } = matrix;
  if (targets.length !== rows) throw new Error(`${what}: ${targets.length} targets for ${rows} matrix rows; give one target per row`);
  for (let r = 0; r < rows; r++) {
    if (!Number.isFinite(targets[r]!)) throw new Error(`${what}: the target of row ${r} is ${targets[r]}; targets must be finite`);
  }
  const weights = options.sampleWeights;
  const weightSum = checkWeights(weights, rows, what);

  const xMean = new Float64Array(d);
  let yMean = 0;
  for (let r = 0; r < rows; r++) {
    const s = weights === undefined ? 1 : weights[r]!;
    const off = r * d;
    for (let j = 0; j < d; j++) xMean[j] = xMean[j]! + s * x[off + j]!;
    yMean += s * targets[r]!;
  }
  for (let j = 0; j < d; j++) xMean[j] = xMean[j]! / weightSum;
  yMean /= weightSum;

  // Lower triangle of XcᵀSXc and XcᵀS yc on centred values (better conditioned than subtracting means later).
  const gram = new Float64Array(d * d);
  const rhs = new Float64Array(d);
  const xc = new Float64Array(d);
  for (let r = 0; r < rows; r++) {
    const s = weights === undefined ? 1 : weights[r]!;
    if (s === 0) continue;
    const off = r * d;
    for (let j = 0; j < d; j++) xc[j] = x[off + j]! - xMean[j]!;
    const yc = targets[r]! - yMean;
    for (let i = 0; i < d; i++) {
      const v = s * xc[i]!;
      const row = i * d;
      for (let j = 0; j <= i; j++) gram[row + j] = gram[row + j]! + v * xc[j]!;
      rhs[i] = rhs[i]! + v * yc;
    }
  }
  for (let i = 0; i < d; i++) gram[i * d + i] = gram[i * d + i]! + l2;
  if (!choleskyFactor(gram, d)) {
    throw new Error(`${what}: XᵀX + l2·I is singular (collinear or constant columns with l2 = ${l2}); use l2 > 0`);
  }
  const coefficients = choleskySolve(gram, d, rhs);
  let intercept = yMean;
  for (let j = 0; j < d; j++) intercept -= xMean[j]! * coefficients[j]!;
  return { kind: 'ridge', coefficients, intercept, width: d, params: { l2 } };
}

/** Predicted value per row. */
export function predictValue(model: RidgeModel, matrix: Matrix): Float64Array {
  checkMatrix(matrix, 'ridge prediction', true);
  checkWidth(matrix, model.width, 'ridge prediction');
  const d = model.width;
  const out = new Float64Array(matrix.rows);
  for (let r = 0; r < matrix.rows; r++) {
    const off = r * d;
    let v = model.intercept;
    for (let j = 0; j < d; j++) v += model.coefficients[j]! * matrix.values[off + j]!;
    out[r] = v;
  }
  return out;
}
