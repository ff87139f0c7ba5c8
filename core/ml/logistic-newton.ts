// Newton's method (IRLS) for binary logistic regression: each step solves the (D+1)×(D+1) Hessian system by
// Cholesky, with a backtracking line search. Quadratic convergence: ~5–10 passes over the data where L-BFGS
// needs dozens. Worth it while the Hessian (D²/2 multiply-adds per row) stays small next to the data pass.
import { choleskyFactor, choleskySolve } from './cholesky';
import type { SolverResult } from './lbfgs';
import { maxAbs } from './lbfgs';
import type { LogisticProblem } from './logistic-loss';
import { binaryObjective } from './logistic-loss';

const ARMIJO = 1e-4;
const MAX_HALVINGS = 30;
/** Newton decrement (−∇f·step) below which the full step is taken without a line search. */
const QUADRATIC_REGION = 1e-12;
/** A kept Hessian factorization must shrink the largest gradient entry at least this much per step. */
const REUSE_RATIO = 0.25;

/** Minimizes the binary objective from θ₀ = (0, prior log-odds). Same stopping rule on the gradient as L-BFGS. */
export function newtonBinary(p: LogisticProblem, maxIter: number, tol: number): SolverResult {
  const theta = new Float64Array(p.cols + 1);
  theta[p.cols] = priorLogOdds(p);
  return newtonMinimize((x, g, h) => binaryObjective(p, x, g, h), theta, maxIter, tol);
}

/** Writes ∇f(θ) into `grad` and, when given, the lower triangle of the Hessian into `hessian`; returns f(θ). */
export type SecondOrderObjective = (theta: Float64Array, grad: Float64Array, hessian?: Float64Array) => number;

/** Writes the lower triangle of the Hessian at θ into `hessian`. */
export type HessianAt = (theta: Float64Array, hessian: Float64Array) => void;

/**
 * Newton's method with a backtracking line search from `theta0` (not modified). With `hessianAt`, the Hessian
 * is computed on its own, only where a step is taken, and its factorization is kept while it still works: a
 * full step that shrinks max |∇f| to at most REUSE_RATIO of what it was keeps it for the next step (modified Newton; near
 * the optimum the Hessian hardly changes, and a Hessian pass costs many gradient passes). Without it, every
 * objective call fills the Hessian and every step uses the fresh one.
 */
export function newtonMinimize(objective: SecondOrderObjective, theta0: Float64Array, maxIter: number, tol: number, hessianAt?: HessianAt): SolverResult {
  const n1 = theta0.length;
  let theta = Float64Array.from(theta0);
  let grad = new Float64Array(n1);
  let hessian = new Float64Array(n1 * n1);
  let f = hessianAt ? objective(theta, grad) : objective(theta, grad, hessian);
  let trial = new Float64Array(n1);
  let trialGrad = new Float64Array(n1);
  let trialHessian = new Float64Array(n1 * n1);
  let iterations = 0;
  let converged = false;
  let factored = false;

  for (;;) {
    if (maxAbs(grad) <= tol) {
      converged = true;
      break;
    }
    if (iterations >= maxIter) break;
    if (hessianAt && !factored) hessianAt(theta, hessian);
    if (!factored && !choleskyFactor(hessian, n1)) {
      throw new Error(
        `logistic regression: the Hessian is not positive definite at iteration ${iterations}; ` +
          'the matrix probably has non-finite or huge values, or l2 is too small for collinear columns',
      );
    }
    const step = choleskySolve(hessian, n1, grad);
    let slope = 0;
    for (let i = 0; i < n1; i++) slope -= grad[i]! * step[i]!;
    // A decrease this small is below the rounding noise of f (a sum over all rows): Armijo would judge
    // noise, so take the full step, which is safe this close to the optimum (quadratic region).
    const noiseLevel = -slope <= QUADRATIC_REGION * Math.max(1, Math.abs(f));
    let t = 1;
    let accepted = false;
    let fTrial = NaN;
    for (let h = 0; h < MAX_HALVINGS; h++) {
      for (let i = 0; i < n1; i++) trial[i] = theta[i]! - t * step[i]!;
      fTrial = hessianAt ? objective(trial, trialGrad) : objective(trial, trialGrad, trialHessian);
      if (noiseLevel || fTrial <= f + ARMIJO * t * slope) {
        accepted = true;
        break;
      }
      t *= 0.5;
    }
    if (!accepted) break;
    iterations++;
    // A step at the precision of θ itself cannot improve it: the gradient is at its rounding floor.
    let moved = false;
    for (let i = 0; i < n1 && !moved; i++) moved = Math.abs(t * step[i]!) > 4 * Number.EPSILON * Math.max(1, Math.abs(theta[i]!));
    if (hessianAt) factored = t === 1 && maxAbs(trialGrad) <= REUSE_RATIO * maxAbs(grad);
    else [hessian, trialHessian] = [trialHessian, hessian];
    [theta, trial] = [trial, theta];
    [grad, trialGrad] = [trialGrad, grad];
    f = fTrial;
    if (!moved) {
      converged = maxAbs(grad) <= tol;
      break;
    }
  }
  return { x: theta, value: f, iterations, converged };
}

/** log(Σ sᵢyᵢ / Σ sᵢ(1 − yᵢ)): the intercept-only optimum, a start one Newton step closer to the answer. */
export function priorLogOdds(p: Pick<LogisticProblem, 'rows' | 'labels' | 'weights' | 'weightSum'>): number {
  let pos = 0;
  for (let r = 0; r < p.rows; r++) if (p.labels[r] === 1) pos += p.weights === undefined ? 1 : p.weights[r]!;
  const neg = p.weightSum - pos;
  return pos > 0 && neg > 0 ? Math.log(pos / neg) : 0;
}
