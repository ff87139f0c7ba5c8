// Logistic regression on a LinearDesign (sparse one-hot + float32 dense columns): the same objective, model
// and stopping rule as logistic.ts, with passes that cost rows × nonzeros instead of rows × width.
// Solvers: binary up to DESIGN_NEWTON_MAX_WIDTH columns by Newton with an exact sparse Hessian (a handful of
// passes over the rows), wider or multinomial by L-BFGS (one pass per evaluation, memory linear in width).
// fitLogisticPath solves an l2 grid from the strongest penalty down, each fit starting from the previous optimum.
import { maxAbs, minimizeLbfgs, type SolverResult } from './lbfgs';
import { CHUNK_ROWS, checkDesign, linearScores, type LinearDesign } from './linear-design';
import { binaryDesignHessian, binaryDesignObjective, multinomialDesignObjective, type ChunkPass, type DesignProblem } from './linear-objective';
import { startLinearPool } from './linear-threads';
import { defaultThreads } from './worker-pool';
import { checkClasses, checkClassesPresent, type LogisticModel, type LogisticOptions } from './logistic';
import { sigmoid } from './logistic-loss';
import { newtonMinimize, priorLogOdds } from './logistic-newton';
import { checkL2, checkLabels, checkWeights } from './input-checks';

/** Widest binary problem solved by Newton: its (D+1)² Hessian and D³/3 factorization stay small next to a pass. */
export const DESIGN_NEWTON_MAX_WIDTH = 1024;

export interface DesignFitOptions extends LogisticOptions {
  /** Threads for the passes over the rows (linear-threads.ts); default defaultThreads(). Results do not depend on it. */
  threads?: number;
  /** A pass to use instead (fitLogisticPath shares one pool over its fits). */
  pass?: ChunkPass;
}

/** A fitted model and its unrounded parameter vector θ (the warm start of the next fit on a path). */
export interface DesignFit {
  model: LogisticModel;
  theta: Float64Array;
}

export function fitLogisticDesign(
  design: LinearDesign,
  labels: Int32Array,
  classes: readonly string[],
  options: DesignFitOptions = {},
  start?: Float64Array,
): DesignFit {
  const what = 'logistic regression';
  const l2 = options.l2 ?? 1;
  const maxIter = options.maxIter ?? 200;
  const tol = options.tol ?? 1e-8;
  checkL2(l2, what, true);
  if (!Number.isInteger(maxIter) || maxIter < 0) throw new Error(`${what}: maxIter is ${maxIter}; it must be an integer ≥ 0`);
  if (!(tol >= 0)) throw new Error(`${what}: tol is ${tol}; it must be a number ≥ 0`);
  checkClasses(classes, what);
  checkDesign(design, what);
  checkLabels(labels, design.rows, classes.length, what);
  const weightSum = checkWeights(options.sampleWeights, design.rows, what);
  checkClassesPresent(labels, options.sampleWeights, classes, what);

  const k = classes.length;
  const p: DesignProblem = { design, labels, weights: options.sampleWeights, weightSum, l2 };
  const pool = options.pass ? undefined : startLinearPool(p, k, options.threads ?? defaultThreads());
  try {
    return solve(p, k, classes, options.pass ?? pool!.pass, options, start);
  } finally {
    pool?.close();
  }
}

function solve(
  p: DesignProblem,
  k: number,
  classes: readonly string[],
  pass: ChunkPass,
  options: DesignFitOptions,
  start: Float64Array | undefined,
): DesignFit {
  const what = 'logistic regression';
  const { design, labels } = p;
  const d = design.width;
  const l2 = p.l2;
  const maxIter = options.maxIter ?? 200;
  const tol = options.tol ?? 1e-8;
  const solver = options.solver ?? 'auto';
  if (solver === 'newton' && k > 2) throw new Error(`${what}: solver 'newton' handles binary problems only; use 'lbfgs' or 'auto' for ${k} classes`);
  const size = k === 2 ? d + 1 : k * (d + 1);
  if (start !== undefined && start.length !== size) throw new Error(`${what}: the warm start has ${start.length} parameters, expected ${size}`);
  const theta0 = start ?? new Float64Array(size);
  if (start === undefined && k === 2) theta0[d] = priorLogOdds({ rows: design.rows, labels, weights: p.weights, weightSum: p.weightSum });

  // Rounding noise of a mean over `rows` terms grows like √rows · ε.
  const noise = 4 * Number.EPSILON * Math.sqrt(design.rows);
  let result: SolverResult;
  if (k === 2 && (solver === 'newton' || (solver === 'auto' && d <= DESIGN_NEWTON_MAX_WIDTH))) {
    result = newtonMinimize(
      (theta, grad) => binaryDesignObjective(p, pass, theta, grad),
      theta0,
      maxIter,
      tol,
      (theta, hessian) => binaryDesignHessian(p, pass, theta, hessian),
    );
  } else if (k === 2) {
    result = minimizeLbfgs((theta, grad) => binaryDesignObjective(p, pass, theta, grad), theta0, { maxIter, tol, noise });
  } else {
    result = minimizeLbfgs((theta, grad) => multinomialDesignObjective(p, pass, theta, grad, k), theta0, { maxIter, tol, noise });
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
  const model: LogisticModel = {
    kind: 'logistic',
    classes: [...classes],
    coefficients,
    intercepts,
    width: d,
    params: { l2, maxIter, tol, iterations: result.iterations, converged: result.converged },
  };
  return { model, theta: result.x };
}

/**
 * Fits every l2 of `l2s` (positive, any order) as one regularization path: from the strongest penalty down,
 * each fit warm-started at the previous optimum. Returns the fits in the order of `l2s`.
 */
export function fitLogisticPath(
  design: LinearDesign,
  labels: Int32Array,
  classes: readonly string[],
  l2s: readonly number[],
  options: DesignFitOptions = {},
): DesignFit[] {
  const order = l2s.map((l2, i) => ({ l2, i })).sort((a, b) => b.l2 - a.l2 || a.i - b.i);
  const out: DesignFit[] = new Array<DesignFit>(l2s.length);
  const weightSum = checkWeights(options.sampleWeights, design.rows, 'logistic regression');
  checkDesign(design, 'logistic regression');
  checkLabels(labels, design.rows, classes.length, 'logistic regression');
  // One pool for the whole path: the problem differs only in l2, which the pass does not read.
  const pool = options.pass
    ? undefined
    : startLinearPool({ design, labels, weights: options.sampleWeights, weightSum, l2: 1 }, classes.length, options.threads ?? defaultThreads());
  try {
    let start: Float64Array | undefined;
    for (const { l2, i } of order) {
      const fit = fitLogisticDesign(design, labels, classes, { ...options, l2, pass: options.pass ?? pool!.pass }, start);
      out[i] = fit;
      start = fit.theta;
    }
  } finally {
    pool?.close();
  }
  return out;
}

/** Class probabilities, rows × classes row-major (binary: [P(classes[0]), P(classes[1])] per row). */
export function predictProbaDesign(model: LogisticModel, design: LinearDesign): Float64Array {
  checkDesign(design, 'logistic prediction', true);
  if (design.width !== model.width)
    throw new Error(`logistic prediction: the design has ${design.width} columns but the model was trained on ${model.width}; encode with the model's plan`);
  const k = model.classes.length;
  const rowsOut = k === 2 ? 1 : k;
  const out = new Float64Array(design.rows * k);
  const z = new Float64Array(CHUNK_ROWS * rowsOut);
  for (let from = 0; from < design.rows; from += CHUNK_ROWS) {
    const to = Math.min(design.rows, from + CHUNK_ROWS);
    linearScores(design, model.coefficients, model.intercepts, from, to, z);
    for (let r = from; r < to; r++) {
      const i = r - from;
      if (k === 2) {
        out[2 * r] = sigmoid(-z[i]!);
        out[2 * r + 1] = sigmoid(z[i]!);
        continue;
      }
      let max = -Infinity;
      for (let c = 0; c < k; c++) if (z[i * k + c]! > max) max = z[i * k + c]!;
      let sum = 0;
      for (let c = 0; c < k; c++) sum += Math.exp(z[i * k + c]! - max);
      for (let c = 0; c < k; c++) out[r * k + c] = Math.exp(z[i * k + c]! - max) / sum;
    }
  }
  return out;
}
