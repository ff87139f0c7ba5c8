// L2-regularized logistic regression on an encoded (standardized, one-hot) matrix: binary (one coefficient row
// for classes[1]) and multinomial (softmax, one row per class).
//
// Objective: minimize Σᵢ sᵢ · ℓᵢ + (l2 / 2) · ‖W‖², with ℓ the log loss, sᵢ the sample weights (1 by default)
// and the intercepts unpenalized. scikit-learn minimizes 0.5‖W‖² + C · Σᵢ sᵢ · ℓᵢ, the same problem divided by C,
// so `l2 = 1 / C`: LogisticRegression(C = 1 / l2) fits the same coefficients (l2 = 1 is sklearn's default C = 1).
// Solvers: Newton/IRLS with a Cholesky-solved (D+1)×(D+1) Hessian for binary problems up to NEWTON_MAX_WIDTH
// columns (summed over a fixed ~131k-row subsample of blocks on larger inputs; the gradient is always exact),
// L-BFGS for multinomial or wider ones. `converged` means max |∇(F / Σ weights)| ≤ tol, or for L-BFGS also a
// relative decrease of the objective ≤ 64ε (scipy's ftol as sklearn sets it). Both solvers are deterministic:
// no randomness and a fixed order of operations, so the same input gives bit-identical coefficients.
import { maxAbs, minimizeLbfgs } from './lbfgs';
import type { SolverResult } from './lbfgs';
import type { LogisticProblem } from './logistic-loss';
import { binaryObjective, multinomialObjective, sigmoid } from './logistic-loss';
import { newtonBinary } from './logistic-newton';
import type { LinearModel, Matrix } from './model';
import { checkL2, checkLabels, checkMatrix, checkWeights, checkWidth } from './input-checks';

export type LogisticModel = Extract<LinearModel, { kind: 'logistic' }>;

export interface LogisticOptions {
  /** Penalty λ on ‖W‖² / 2 against the summed log loss; sklearn's C = 1 / l2. Must be > 0. Default 1. */
  l2?: number;
  /** Newton steps or L-BFGS iterations. Default 200. */
  maxIter?: number;
  /** Converged when max |∂f/∂θ| ≤ tol for f = objective / Σ weights (sklearn's lbfgs `tol`). Default 1e-8. */
  tol?: number;
  /** One finite weight ≥ 0 per row; the objective sums weighted losses. */
  sampleWeights?: Float64Array;
  /** 'auto' (default): Newton for binary with ≤ NEWTON_MAX_WIDTH columns, otherwise L-BFGS. */
  solver?: 'auto' | 'newton' | 'lbfgs';
}

/** Widest binary problem solved by Newton under solver 'auto'; above it the O(D²)-per-row Hessian dominates. */
export const NEWTON_MAX_WIDTH = 200;

/**
 * Fits the model; `labels[i]` is the index into `classes` of row i's class. Classes must be distinct; they are kept
 * in the caller's order (model.ts wants them sorted: the caller's sort decides, e.g. numerically for numeric labels).
 */
export function fitLogistic(matrix: Matrix, labels: Int32Array, classes: readonly string[], options: LogisticOptions = {}): LogisticModel {
  const what = 'logistic regression';
  const l2 = options.l2 ?? 1;
  const maxIter = options.maxIter ?? 200;
  const tol = options.tol ?? 1e-8;
  checkL2(l2, what, true);
  if (!Number.isInteger(maxIter) || maxIter < 0) throw new Error(`${what}: maxIter is ${maxIter}; it must be an integer ≥ 0`);
  if (!(tol >= 0)) throw new Error(`${what}: tol is ${tol}; it must be a number ≥ 0`);
  checkClasses(classes, what);
  checkMatrix(matrix, what);
  checkLabels(labels, matrix.rows, classes.length, what);
  const weightSum = checkWeights(options.sampleWeights, matrix.rows, what);
  checkClassesPresent(labels, options.sampleWeights, classes, what);

  const k = classes.length;
  const d = matrix.cols;
  const problem: LogisticProblem = {
    x: matrix.values,
    rows: matrix.rows,
    cols: d,
    labels,
    weights: options.sampleWeights,
    weightSum,
    l2,
  };
  const solver = options.solver ?? 'auto';
  if (solver === 'newton' && k > 2) throw new Error(`${what}: solver 'newton' handles binary problems only; use 'lbfgs' or 'auto' for ${k} classes`);

  // Rounding noise of a mean over `rows` terms grows like √rows · ε.
  const noise = 4 * Number.EPSILON * Math.sqrt(matrix.rows);
  let result: SolverResult;
  if (k === 2 && (solver === 'newton' || (solver === 'auto' && d <= NEWTON_MAX_WIDTH))) {
    result = newtonBinary(problem, maxIter, tol);
  } else if (k === 2) {
    result = minimizeLbfgs((theta, grad) => binaryObjective(problem, theta, grad), new Float64Array(d + 1), { maxIter, tol, noise });
  } else {
    result = minimizeLbfgs((theta, grad) => multinomialObjective(problem, theta, grad, k), new Float64Array(k * (d + 1)), { maxIter, tol, noise });
  }
  if (!(maxAbs(result.x) < Infinity)) throw new Error(`${what}: the solver diverged (non-finite coefficients); raise l2`);

  const rowsOut = k === 2 ? 1 : k;
  const coefficients = result.x.slice(0, rowsOut * d);
  const intercepts = result.x.slice(rowsOut * d);
  if (k > 2) {
    // Softmax is unchanged by a common shift of the intercepts; centre them so the answer is unique.
    let mean = 0;
    for (let c = 0; c < k; c++) mean += intercepts[c]!;
    mean /= k;
    for (let c = 0; c < k; c++) intercepts[c] = intercepts[c]! - mean;
  }
  return {
    kind: 'logistic',
    classes: [...classes],
    coefficients,
    intercepts,
    width: d,
    params: { l2, maxIter, tol, iterations: result.iterations, converged: result.converged },
  };
}

/** Class probabilities, rows × classes row-major (binary: [P(classes[0]), P(classes[1])] per row). */
export function predictProba(model: LogisticModel, matrix: Matrix): Float64Array {
  checkPredictInput(model, matrix);
  const { rows } = matrix;
  const k = model.classes.length;
  const out = new Float64Array(rows * k);
  if (k === 2) {
    for (let r = 0; r < rows; r++) {
      const z = binaryScore(model, matrix, r);
      out[2 * r] = sigmoid(-z);
      out[2 * r + 1] = sigmoid(z);
    }
    return out;
  }
  const z = new Float64Array(k);
  for (let r = 0; r < rows; r++) {
    multinomialScores(model, matrix, r, z);
    let max = -Infinity;
    for (let c = 0; c < k; c++) if (z[c]! > max) max = z[c]!;
    let sum = 0;
    for (let c = 0; c < k; c++) {
      const e = Math.exp(z[c]! - max);
      z[c] = e;
      sum += e;
    }
    for (let c = 0; c < k; c++) out[r * k + c] = z[c]! / sum;
  }
  return out;
}

/** P(classes[1]) per row, for binary models (what the binary metrics, thresholds and fairness checks take). */
export function predictPositive(model: LogisticModel, matrix: Matrix): Float64Array {
  if (model.classes.length !== 2) throw new Error(`predictPositive: the model has ${model.classes.length} classes; it needs a binary model`);
  checkPredictInput(model, matrix);
  const out = new Float64Array(matrix.rows);
  for (let r = 0; r < matrix.rows; r++) out[r] = sigmoid(binaryScore(model, matrix, r));
  return out;
}

/** Most probable class index per row (binary: classes[1] when its score is > 0, i.e. P > 0.5, as sklearn's predict). */
export function predictLabel(model: LogisticModel, matrix: Matrix): Int32Array {
  checkPredictInput(model, matrix);
  const { rows } = matrix;
  const k = model.classes.length;
  const out = new Int32Array(rows);
  if (k === 2) {
    for (let r = 0; r < rows; r++) out[r] = binaryScore(model, matrix, r) > 0 ? 1 : 0;
    return out;
  }
  const z = new Float64Array(k);
  for (let r = 0; r < rows; r++) {
    multinomialScores(model, matrix, r, z);
    let best = 0;
    for (let c = 1; c < k; c++) if (z[c]! > z[best]!) best = c;
    out[r] = best;
  }
  return out;
}

function binaryScore(model: LogisticModel, matrix: Matrix, r: number): number {
  const d = model.width;
  const off = r * d;
  let z = model.intercepts[0]!;
  for (let j = 0; j < d; j++) z += model.coefficients[j]! * matrix.values[off + j]!;
  return z;
}

function multinomialScores(model: LogisticModel, matrix: Matrix, r: number, z: Float64Array): void {
  const d = model.width;
  const off = r * d;
  for (let c = 0; c < z.length; c++) {
    let v = model.intercepts[c]!;
    const row = c * d;
    for (let j = 0; j < d; j++) v += model.coefficients[row + j]! * matrix.values[off + j]!;
    z[c] = v;
  }
}

function checkPredictInput(model: LogisticModel, matrix: Matrix): void {
  checkMatrix(matrix, 'logistic prediction', true);
  checkWidth(matrix, model.width, 'logistic prediction');
}

export function checkClasses(classes: readonly string[], what: string): void {
  if (classes.length < 2) {
    throw new Error(`${what}: needs at least two classes, got ${classes.length} (${classes.map((c) => `'${c}'`).join(', ')})`);
  }
  const seen = new Set<string>();
  for (const c of classes) {
    if (seen.has(c)) throw new Error(`${what}: class '${c}' appears twice in the class list; classes must be distinct`);
    seen.add(c);
  }
}

/** Every class needs rows with weight: otherwise its unpenalized intercept runs to −∞ and the fit never converges. */
export function checkClassesPresent(labels: Int32Array, weights: Float64Array | undefined, classes: readonly string[], what: string): void {
  const mass = new Float64Array(classes.length);
  for (let r = 0; r < labels.length; r++) {
    const y = labels[r]!;
    mass[y] = mass[y]! + (weights === undefined ? 1 : weights[r]!);
  }
  const present = classes.filter((_, c) => mass[c]! > 0);
  if (present.length === 1) {
    throw new Error(`${what}: the labels hold a single class ('${present[0]}'); a classifier needs rows of at least two classes`);
  }
  const missing = classes.filter((_, c) => !(mass[c]! > 0));
  if (missing.length > 0) {
    throw new Error(
      `${what}: class(es) ${missing.map((c) => `'${c}'`).join(', ')} have no rows (or only zero-weight rows); ` +
        'drop them from the class list or add rows of them',
    );
  }
}
