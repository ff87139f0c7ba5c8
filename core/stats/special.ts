// Special functions behind the drift tests' p-values: log-gamma, the regularized incomplete gamma and
// beta functions, erf/erfc, the standard normal CDF and its inverse, and Kolmogorov's limiting distribution.
// Written for double precision (about 1e-14 relative in the tested ranges): simple-statistics' `erf` is a
// 1e-7 approximation, its normal CDF a table and its probit 1e-3, all too coarse for small p-values, and it has
// neither the incomplete gamma and beta functions nor Kolmogorov's distribution. Its log-gamma is as precise as
// scipy's, and log-gamma is taken from it (test/unit/stats/special-vs-simple-statistics.test.ts compares them).
import { gammaln } from 'simple-statistics';

const SQRT_PI = 1.7724538509055160273;
const EPS = 2.220446049250313e-16;
const TINY = 1e-300; // keeps Lentz's continued-fraction evaluation away from division by zero
const MAX_ITERATIONS = 100_000;

/**
 * log Γ(x) for x > 0 (NaN below 0, +∞ at 0): simple-statistics' Lanczos `gammaln`, within 2e-15 of
 * scipy.special.gammaln from 0.1 up (test/unit/stats/special-vs-simple-statistics.test.ts). Near 0 it loses
 * digits (2.7e-10 relative at 1e-8, +∞ at 1e-300), so below 0.5 it is taken one step up: Γ(x) = Γ(x + 1) / x.
 */
export function logGamma(x: number): number {
  if (Number.isNaN(x) || x < 0) return NaN;
  if (x === 0) return Infinity;
  return x < 0.5 ? gammaln(x + 1) - Math.log(x) : gammaln(x);
}

/** e^(-x) x^a / Γ(a): the common factor of both incomplete-gamma expansions. */
function gammaPrefactor(a: number, x: number): number {
  return Math.exp(a * Math.log(x) - x - logGamma(a));
}

/** Series for P(a, x); converges quickly for x < a + 1. */
function gammaPSeries(a: number, x: number): number {
  let term = 1 / a;
  let sum = term;
  for (let n = 1; n < MAX_ITERATIONS; n++) {
    term *= x / (a + n);
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * EPS) return sum * gammaPrefactor(a, x);
  }
  throw new Error(`regularized incomplete gamma: series did not converge for a=${a}, x=${x}`);
}

/** Continued fraction for Q(a, x) (modified Lentz); converges quickly for x ≥ a + 1. */
function gammaQContinuedFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < MAX_ITERATIONS; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPS) return h * gammaPrefactor(a, x);
  }
  throw new Error(`regularized incomplete gamma: continued fraction did not converge for a=${a}, x=${x}`);
}

function checkGammaArgs(a: number, x: number): boolean {
  return a > 0 && x >= 0 && !Number.isNaN(a) && !Number.isNaN(x);
}

/** Regularized lower incomplete gamma P(a, x) = γ(a, x) / Γ(a) (scipy.special.gammainc). */
export function regularizedGammaP(a: number, x: number): number {
  if (!checkGammaArgs(a, x)) return NaN;
  if (x === 0) return 0;
  if (x === Infinity) return 1;
  return x < a + 1 ? gammaPSeries(a, x) : 1 - gammaQContinuedFraction(a, x);
}

/** Regularized upper incomplete gamma Q(a, x) = 1 - P(a, x) (scipy.special.gammaincc). */
export function regularizedGammaQ(a: number, x: number): number {
  if (!checkGammaArgs(a, x)) return NaN;
  if (x === 0) return 1;
  if (x === Infinity) return 0;
  return x < a + 1 ? 1 - gammaPSeries(a, x) : gammaQContinuedFraction(a, x);
}

/** Survival function of the chi-squared distribution: P(X ≥ x) for X ~ χ²(df). */
export function chiSquaredSf(x: number, df: number): number {
  if (!(df > 0) || Number.isNaN(x)) return NaN;
  if (x <= 0) return 1;
  return regularizedGammaQ(df / 2, x / 2);
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m < MAX_ITERATIONS; m++) {
    const m2 = 2 * m;
    // Even step.
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    // Odd step.
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPS) return h;
  }
  throw new Error(`regularized incomplete beta: continued fraction did not converge for a=${a}, b=${b}, x=${x}`);
}

/** Regularized incomplete beta I_x(a, b) (scipy.special.betainc(a, b, x)). */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (!(a > 0 && b > 0) || Number.isNaN(x)) return NaN;
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const logFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x);
  const front = Math.exp(logFront);
  // The continued fraction converges fastest below the mean; use the symmetry I_x(a,b) = 1 - I_{1-x}(b,a) above it.
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(a, b, x)) / a;
  return 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** erf for |x| ≤ 2 from the all-positive series erf(x) = 2x/√π e^(-x²) Σ (2x²)^n / (2n+1)!!. */
function erfSeries(x: number): number {
  const x2 = x * x;
  let term = 1;
  let sum = 1;
  for (let n = 1; n < 200; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (term < sum * EPS) break;
  }
  return ((2 * x) / SQRT_PI) * Math.exp(-x2) * sum;
}

/** erfc for x ≥ 1 from Laplace's continued fraction e^(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))). */
function erfcContinuedFraction(x: number): number {
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < MAX_ITERATIONS; k++) {
    const a = k / 2;
    d = x + a * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = x + a / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < EPS) break;
  }
  return Math.exp(-x * x) / (SQRT_PI * f);
}

/** The error function erf(x). */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax <= 2) return erfSeries(x);
  const r = 1 - erfcContinuedFraction(ax);
  return x < 0 ? -r : r;
}

/**
 * The complementary error function erfc(x) = 1 - erf(x), with full relative accuracy in the upper tail:
 * the continued fraction from x = 1 up (under 200 terms there), 1 - erf(x) below, where erfc ≥ 0.157.
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x >= 1) return x > 27.3 ? 0 : erfcContinuedFraction(x);
  if (x > -1) return 1 - erfSeries(x);
  return 2 - erfcContinuedFraction(-x);
}

/** Standard normal CDF Φ(z) (scipy.stats.norm.cdf). */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

// Acklam's rational approximations (relative error < 1.15e-9), polished by one Halley step below.
const ACKLAM_A = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
const ACKLAM_B = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
const ACKLAM_C = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549671010366433, 4.374664141464968, 2.938163982698783];
const ACKLAM_D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.75440836118564];
const ACKLAM_P_LOW = 0.02425;
const SQRT_2PI = 2.5066282746310002;

/** Horner evaluation; coefficients from the highest power down. */
function polynomial(coefficients: readonly number[], x: number): number {
  let sum = 0;
  for (const c of coefficients) sum = sum * x + c;
  return sum;
}

/** Acklam's approximation for p ≤ 0.5 (the lower half, where Φ is computed with full relative accuracy). */
function acklamLowerHalf(p: number): number {
  if (p < ACKLAM_P_LOW) {
    const q = Math.sqrt(-2 * Math.log(p));
    return polynomial(ACKLAM_C, q) / (polynomial(ACKLAM_D, q) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return (polynomial(ACKLAM_A, r) * q) / (polynomial(ACKLAM_B, r) * r + 1);
}

/**
 * Inverse standard normal CDF Φ⁻¹(p) (scipy.stats.norm.ppf), about 1e-15 relative in double precision.
 * Acklam's 1e-9 approximation plus one Halley step on Φ(x) − p; the upper half uses Φ⁻¹(p) = −Φ⁻¹(1 − p)
 * (1 − p is exact for p ≥ 0.5), so the Newton residual is always taken in the accurate lower tail.
 */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`normal quantile: p must lie in [0, 1], got ${p}`);
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  if (p > 0.5) return -normalQuantile(1 - p);
  const x = acklamLowerHalf(p);
  const u = (normalCdf(x) - p) * SQRT_2PI * Math.exp(0.5 * x * x);
  // Below p ≈ 1e-300 the density underflows; Acklam's 1e-9 is all there is.
  if (!Number.isFinite(u)) return x;
  return x - u / (1 + 0.5 * x * u);
}

/** Standard normal survival function 1 - Φ(z), accurate for large z (scipy.stats.norm.sf). */
export function normalSf(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/**
 * Kolmogorov's limiting distribution, survival function:
 * Q_KS(λ) = P(K > λ) = 2 Σ_{k≥1} (-1)^(k-1) exp(-2k²λ²) (scipy.special.kolmogorov).
 * The alternating series converges slowly for small λ; there the equivalent theta-function form
 * 1 - √(2π)/λ Σ_{k odd} exp(-k²π²/(8λ²)) is used.
 */
export function kolmogorovSf(lambda: number): number {
  if (Number.isNaN(lambda)) return NaN;
  if (lambda <= 0) return 1;
  if (lambda >= 1) {
    const alpha = -2 * lambda * lambda;
    let sum = 0;
    let sign = 1;
    for (let k = 1; k < 1000; k++) {
      const term = Math.exp(alpha * k * k);
      sum += sign * term;
      if (term === 0 || term <= Math.abs(sum) * EPS) break;
      sign = -sign;
    }
    return Math.min(1, Math.max(0, 2 * sum));
  }
  const alpha = (-Math.PI * Math.PI) / (8 * lambda * lambda);
  let sum = 0;
  for (let k = 1; k < 1000; k += 2) {
    const term = Math.exp(alpha * k * k);
    sum += term;
    if (term === 0 || term <= sum * EPS) break;
  }
  return Math.min(1, Math.max(0, 1 - (Math.sqrt(2 * Math.PI) / lambda) * sum));
}
