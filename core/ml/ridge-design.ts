// Ridge regression on a LinearDesign: the same problem as ridge.ts (sklearn's Ridge(alpha = l2)), with the
// normal equations summed from each row's nonzeros ((nonzeros)² / 2 terms a row, not D²) and centred afterwards:
// XcᵀSXc = XᵀSX − S·x̄x̄ᵀ. The sums do not depend on l2, so a grid of penalties costs one pass and one
// Cholesky factorization per l2 (fitRidgePath).
import { choleskyFactor, choleskySolve } from './cholesky';
import { checkDesign, CHUNK_ROWS, linearScores, type LinearDesign } from './linear-design';
import type { RidgeModel } from './ridge';
import { checkL2, checkWeights } from './input-checks';

interface NormalEquations {
  /** Lower triangle of the centred XᵀSX (D×D). */
  gram: Float64Array;
  /** Centred XᵀS y. */
  rhs: Float64Array;
  xMean: Float64Array;
  yMean: number;
}

function normalEquations(design: LinearDesign, targets: Float64Array, weights: Float64Array | undefined): NormalEquations {
  const what = 'ridge regression';
  checkDesign(design, what);
  const { rows, width: d, denseCols, dense, blocks, hot } = design;
  if (targets.length !== rows) throw new Error(`${what}: ${targets.length} targets for ${rows} design rows; give one target per row`);
  for (let r = 0; r < rows; r++) {
    if (!Number.isFinite(targets[r]!)) throw new Error(`${what}: the target of row ${r} is ${targets[r]}; targets must be finite`);
  }
  const weightSum = checkWeights(weights, rows, what);
  const nd = denseCols.length;
  const n1 = d + 1;
  // Augmented with a constant column (index d): its row and column give the sums for the means.
  const a = new Float64Array(n1 * n1);
  const b = new Float64Array(n1);
  const idx = new Int32Array(nd + blocks + 1);
  const val = new Float64Array(nd + blocks + 1);
  for (let r = 0; r < rows; r++) {
    const s = weights === undefined ? 1 : weights[r]!;
    if (s === 0) continue;
    let nz = 0;
    for (let j = 0; j < nd; j++) {
      idx[nz] = denseCols[j]!;
      val[nz++] = dense[r * nd + j]!;
    }
    for (let q = 0; q < blocks; q++) {
      const c = hot[r * blocks + q]!;
      if (c < 0) continue;
      idx[nz] = c;
      val[nz++] = 1;
    }
    idx[nz] = d;
    val[nz++] = 1;
    const y = targets[r]!;
    for (let i = 0; i < nz; i++) {
      const ia = idx[i]!;
      const v = s * val[i]!;
      b[ia] = b[ia]! + v * y;
      for (let j = 0; j <= i; j++) {
        const ib = idx[j]!;
        const at = ia >= ib ? ia * n1 + ib : ib * n1 + ia;
        a[at] = a[at]! + v * val[j]!;
      }
    }
  }
  const xMean = new Float64Array(d);
  for (let j = 0; j < d; j++) xMean[j] = a[d * n1 + j]! / weightSum;
  const yMean = b[d]! / weightSum;
  const gram = new Float64Array(d * d);
  const rhs = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) gram[i * d + j] = a[i * n1 + j]! - weightSum * xMean[i]! * xMean[j]!;
    rhs[i] = b[i]! - weightSum * xMean[i]! * yMean;
  }
  return { gram, rhs, xMean, yMean };
}

function solve(eq: NormalEquations, l2: number): RidgeModel {
  const what = 'ridge regression';
  checkL2(l2, what, false);
  const d = eq.xMean.length;
  const gram = Float64Array.from(eq.gram);
  for (let i = 0; i < d; i++) gram[i * d + i] = gram[i * d + i]! + l2;
  if (!choleskyFactor(gram, d)) {
    throw new Error(`${what}: XᵀX + l2·I is singular (collinear or constant columns with l2 = ${l2}); use l2 > 0`);
  }
  const coefficients = choleskySolve(gram, d, eq.rhs);
  let intercept = eq.yMean;
  for (let j = 0; j < d; j++) intercept -= eq.xMean[j]! * coefficients[j]!;
  return { kind: 'ridge', coefficients, intercept, width: d, params: { l2 } };
}

export function fitRidgeDesign(design: LinearDesign, targets: Float64Array, options: { l2?: number; sampleWeights?: Float64Array } = {}): RidgeModel {
  return solve(normalEquations(design, targets, options.sampleWeights), options.l2 ?? 1);
}

/** Every l2 of `l2s` from one pass over the rows; models in the order of `l2s`. */
export function fitRidgePath(design: LinearDesign, targets: Float64Array, l2s: readonly number[], sampleWeights?: Float64Array): RidgeModel[] {
  const eq = normalEquations(design, targets, sampleWeights);
  return l2s.map((l2) => solve(eq, l2));
}

/** Predicted value per row. */
export function predictValueDesign(model: RidgeModel, design: LinearDesign): Float64Array {
  checkDesign(design, 'ridge prediction', true);
  if (design.width !== model.width)
    throw new Error(`ridge prediction: the design has ${design.width} columns but the model was trained on ${model.width}; encode with the model's plan`);
  const out = new Float64Array(design.rows);
  const intercepts = Float64Array.of(model.intercept);
  for (let from = 0; from < design.rows; from += CHUNK_ROWS) {
    const to = Math.min(design.rows, from + CHUNK_ROWS);
    linearScores(design, model.coefficients, intercepts, from, to, out.subarray(from, to));
  }
  return out;
}
