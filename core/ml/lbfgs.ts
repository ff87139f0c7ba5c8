// Limited-memory BFGS for smooth convex objectives (the logistic losses). Deterministic: no randomness and a
// fixed order of every floating-point operation, so the same input gives bit-identical output.
// Stops like scipy's L-BFGS-B as sklearn calls it: max |gradient| ≤ tol, or a relative decrease of the
// objective ≤ 64 machine epsilons (both count as converged), or maxIter iterations (not converged).

/** Writes ∇f(x) into `grad` and returns f(x). */
export type Objective = (x: Float64Array, grad: Float64Array) => number;

export interface LbfgsOptions {
  maxIter: number;
  /** Stop when max |∂f/∂xᵢ| ≤ tol. */
  tol: number;
  /** Correction pairs kept (scipy's default is 10). */
  memory?: number;
  /**
   * Relative rounding noise of f (a sum over many rows is noisier than 64ε): a predicted decrease below
   * noise · max(1, |f|) skips the Armijo test, which would otherwise halve the step chasing noise. Default 64ε.
   */
  noise?: number;
}

export interface SolverResult {
  x: Float64Array;
  value: number;
  iterations: number;
  converged: boolean;
}

const ARMIJO = 1e-4;
const MAX_LINE_SEARCH = 50;
const FTOL = 64 * Number.EPSILON;

export function minimizeLbfgs(objective: Objective, x0: Float64Array, options: LbfgsOptions): SolverResult {
  const n = x0.length;
  const memory = options.memory ?? 10;
  const noise = Math.max(FTOL, options.noise ?? FTOL);
  let x = Float64Array.from(x0);
  let g = new Float64Array(n);
  let f = objective(x, g);
  let xNew = new Float64Array(n);
  let gNew = new Float64Array(n);
  const d = new Float64Array(n);
  const ss: Float64Array[] = [];
  const ys: Float64Array[] = [];
  const rhos: number[] = [];
  const alphas = new Float64Array(memory);
  let iterations = 0;
  let converged = false;

  for (;;) {
    if (maxAbs(g) <= options.tol) {
      converged = true;
      break;
    }
    if (iterations >= options.maxIter) break;

    // Two-loop recursion: d = −H·g.
    d.set(g);
    for (let i = ss.length - 1; i >= 0; i--) {
      const a = rhos[i]! * dot(ss[i]!, d);
      alphas[i] = a;
      axpy(-a, ys[i]!, d);
    }
    const last = ss.length - 1;
    const gamma = last >= 0 ? dot(ss[last]!, ys[last]!) / dot(ys[last]!, ys[last]!) : 1 / Math.max(1, Math.sqrt(dot(g, g)));
    for (let i = 0; i < n; i++) d[i] = d[i]! * gamma;
    for (let i = 0; i < ss.length; i++) {
      const b = rhos[i]! * dot(ys[i]!, d);
      axpy(alphas[i]! - b, ss[i]!, d);
    }
    for (let i = 0; i < n; i++) d[i] = -d[i]!;
    let slope = dot(g, d);
    if (!(slope < 0)) {
      // Not a descent direction (rounding): forget the curvature pairs and step along −g.
      ss.length = ys.length = rhos.length = 0;
      const scale = 1 / Math.max(1, Math.sqrt(dot(g, g)));
      for (let i = 0; i < n; i++) d[i] = -g[i]! * scale;
      slope = dot(g, d);
    }

    // Backtracking (Armijo) line search with a safeguarded quadratic step; convexity keeps sᵀy ≥ 0.
    // A predicted decrease below the rounding noise of f would make Armijo judge noise and halve the step
    // away: take the step and let the decrease test below end the run.
    const noiseLevel = -slope <= noise * Math.max(1, Math.abs(f));
    let t = 1;
    let fNew = NaN;
    let accepted = false;
    for (let ls = 0; ls < MAX_LINE_SEARCH; ls++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i]! + t * d[i]!;
      fNew = objective(xNew, gNew);
      if (noiseLevel || fNew <= f + ARMIJO * t * slope) {
        accepted = true;
        break;
      }
      const quadratic = Number.isFinite(fNew) ? (-slope * t * t) / (2 * (fNew - f - slope * t)) : 0.1 * t;
      t = Math.min(0.5 * t, Math.max(0.1 * t, quadratic));
    }
    if (!accepted) break;
    iterations++;

    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = xNew[i]! - x[i]!;
      y[i] = gNew[i]! - g[i]!;
    }
    const sy = dot(s, y);
    if (sy > Number.EPSILON * dot(y, y)) {
      if (ss.length === memory) {
        ss.shift();
        ys.shift();
        rhos.shift();
      }
      ss.push(s);
      ys.push(y);
      rhos.push(1 / sy);
    }
    const decrease = f - fNew;
    [x, xNew] = [xNew, x];
    [g, gNew] = [gNew, g];
    f = fNew;
    if (decrease <= FTOL * Math.max(Math.abs(f), Math.abs(f + decrease), 1)) {
      converged = true;
      break;
    }
  }
  return { x, value: f, iterations, converged };
}

export function maxAbs(v: Float64Array): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) {
    const a = Math.abs(v[i]!);
    if (a > m || Number.isNaN(a)) m = a;
  }
  return m;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function axpy(alpha: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < y.length; i++) y[i] = y[i]! + alpha * x[i]!;
}
