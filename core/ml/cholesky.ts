// Cholesky factorization and solve for the small symmetric positive-definite systems of the linear models
// (the (D+1)×(D+1) logistic Hessian, the D×D ridge normal equations). Dense, row-major, in place.

/**
 * Factors the n×n symmetric matrix `a` (row-major; only the lower triangle is read) into L·Lᵀ, writing L into
 * the lower triangle of `a` (the upper triangle is left as it was). Returns false when `a` is not positive
 * definite (a pivot ≤ 0 or not finite); `a` is then partly overwritten.
 */
export function choleskyFactor(a: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    const rowJ = j * n;
    let d = a[rowJ + j]!;
    for (let k = 0; k < j; k++) d -= a[rowJ + k]! * a[rowJ + k]!;
    if (!(d > 0) || !Number.isFinite(d)) return false;
    const ljj = Math.sqrt(d);
    a[rowJ + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const rowI = i * n;
      let s = a[rowI + j]!;
      for (let k = 0; k < j; k++) s -= a[rowI + k]! * a[rowJ + k]!;
      a[rowI + j] = s / ljj;
    }
  }
  return true;
}

/** Solves L·Lᵀ·x = b for x, given the factor from `choleskyFactor`. Returns a new array. */
export function choleskySolve(l: Float64Array, n: number, b: Float64Array): Float64Array {
  const x = Float64Array.from(b);
  for (let i = 0; i < n; i++) {
    const row = i * n;
    let s = x[i]!;
    for (let k = 0; k < i; k++) s -= l[row + k]! * x[k]!;
    x[i] = s / l[row + i]!;
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = x[i]!;
    for (let k = i + 1; k < n; k++) s -= l[k * n + i]! * x[k]!;
    x[i] = s / l[i * n + i]!;
  }
  return x;
}
