// Distribution of the two-sided one-sample Kolmogorov–Smirnov statistic D_n, P(D_n ≥ d)
// (scipy.stats.kstwo.sf(d, n)). The two-sample KS test uses it as its large-sample approximation with the
// effective size n1·n2/(n1+n2), as scipy.stats.ks_2samp(method='asymp') does.
//
// Method per region, after Simard & L'Ecuyer (2011), "Computing the Two-Sided Kolmogorov-Smirnov
// Distribution", J. Stat. Softw. 39(11) — the same regions scipy uses:
//   n·d ≤ 1 or n·d ≥ n-1 ........ Ruben–Gambino closed forms (exact)
//   d ≥ 0.5 ....................... 2 × Smirnov's one-sided tail (exact there)
//   n ≤ 140, n·d² ≤ 4 .............. Durbin's matrix (exact; scipy uses Pomeranz's recursion above
//                                    n·d² = 0.754693 — also exact, so both agree to rounding)
//   n ≤ 140, n·d² > 4 .............. 2 × Smirnov's one-sided tail (Miller's approximation)
//   n > 140, n·d² ≥ 370 ............ 0
//   n > 140, n·d² ≥ 2.2 ............ 2 × Smirnov's one-sided tail
//   n > 140, n·d² < 2.2 ............ 1 - Durbin's matrix when n ≤ 100000 and n·d^1.5 ≤ 1.4, else
//                                    1 - the Pelz–Good asymptotic series
import { logGamma } from './special';

const LOG_SQRT_2PI = 0.91893853320467274178;
const SCALE_BITS = 128;
const SCALE_UP = 2 ** SCALE_BITS;
const SCALE_DOWN = 2 ** -SCALE_BITS;

/** log k! − (k log k − k + ½ log 2πk) for an integer k ≥ 1: the error of Stirling's formula. */
function stirlingError(k: number): number {
  if (k <= 15) return logGamma(k + 1) - (k + 0.5) * Math.log(k) + k - LOG_SQRT_2PI;
  const k2 = 1 / (k * k);
  return (1 / 12 - (1 / 360 - (1 / 1260 - (1 / 1680 - k2 / 1188) * k2) * k2) * k2) / k;
}

/** x log(x/mean) + mean − x without cancellation when x ≈ mean (Loader's "bd0"). */
function deviance(x: number, mean: number): number {
  if (Math.abs(x - mean) < 0.1 * (x + mean)) {
    let v = (x - mean) / (x + mean);
    let s = (x - mean) * v;
    let ej = 2 * x * v;
    v *= v;
    for (let j = 1; j < 1000; j++) {
      ej *= v;
      const next = s + ej / (2 * j + 1);
      if (next === s) return next;
      s = next;
    }
    return s;
  }
  return x * Math.log(x / mean) + mean - x;
}

/**
 * Smirnov's one-sided tail P(D⁺_n ≥ d), Birnbaum & Tingey's formula
 * d Σ_{j=0}^{⌊n(1-d)⌋} C(n,j) (d + j/n)^(j-1) (1 - d - j/n)^(n-j).
 * Each term is d/p_j times a binomial probability with p_j = d + j/n, evaluated with Loader's
 * saddle-point form so large n keeps full relative accuracy; all terms are positive.
 */
export function smirnovSf(n: number, d: number): number {
  if (Number.isNaN(d)) return NaN;
  if (d <= 0) return 1;
  if (d >= 1) return 0;
  const nd = n * d;
  let sum = Math.exp(n * Math.log1p(-d)); // j = 0
  const last = Math.floor(n * (1 - d));
  const stirlingN = stirlingError(n);
  for (let j = 1; j <= last; j++) {
    const np = nd + j;
    const nq = n - j - nd;
    if (nq <= 0) break;
    const logBinomial =
      stirlingN - stirlingError(j) - stirlingError(n - j) - deviance(j, np) - deviance(n - j, nq) - 0.5 * Math.log((2 * Math.PI * j * (n - j)) / n);
    sum += (nd / np) * Math.exp(logBinomial);
  }
  return Math.min(1, sum);
}

/** C = A·B for m×m row-major matrices. */
function multiply(a: Float64Array, b: Float64Array, m: number): Float64Array {
  const c = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < m; k++) {
      const aik = a[i * m + k]!;
      if (aik === 0) continue;
      for (let j = 0; j < m; j++) c[i * m + j]! += aik * b[k * m + j]!;
    }
  }
  return c;
}

/** Divides by 2^128 while the largest entry exceeds it; returns the number of bits taken out. */
function rescale(a: Float64Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]!));
  let bits = 0;
  while (max > SCALE_UP) {
    for (let i = 0; i < a.length; i++) a[i]! *= SCALE_DOWN;
    max *= SCALE_DOWN;
    bits += SCALE_BITS;
  }
  return bits;
}

/** x · 2^e without intermediate overflow when the result is representable. */
function timesPowerOfTwo(x: number, e: number): number {
  let r = x;
  let rest = e;
  while (rest > 0) {
    const step = Math.min(rest, 1000);
    r *= 2 ** step;
    rest -= step;
  }
  while (rest < 0) {
    const step = Math.max(rest, -1000);
    r *= 2 ** step;
    rest -= step;
  }
  return r;
}

/**
 * P(D_n < d) by Durbin's matrix method as organised by Marsaglia, Tsang & Wang (2003), "Evaluating
 * Kolmogorov's Distribution", J. Stat. Softw. 8(18): n!/n^n · (H^n)[k-1][k-1] with k = ⌊nd⌋ + 1.
 * Cost O(m³ log n) for m = 2k - 1, so only used where k is small.
 */
export function durbinCdf(n: number, d: number): number {
  if (d <= 0) return 0;
  if (d >= 1) return 1;
  const k = Math.floor(n * d) + 1;
  const m = 2 * k - 1;
  const h = k - n * d;
  const H = new Float64Array(m * m);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) H[i * m + j] = i - j + 1 < 0 ? 0 : 1;
  for (let i = 0; i < m; i++) {
    H[i * m]! -= h ** (i + 1);
    H[(m - 1) * m + i]! -= h ** (m - i);
  }
  if (2 * h - 1 > 0) H[(m - 1) * m]! += (2 * h - 1) ** m;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      let f = 1;
      for (let g = 2; g <= i - j + 1; g++) f *= g;
      if (i - j + 1 > 0) H[i * m + j]! /= f;
    }
  }
  // H^n by repeated squaring, each factor carrying its own power-of-two exponent.
  let result: Float64Array | null = null;
  let resultBits = 0;
  let base: Float64Array = H;
  let baseBits = 0;
  for (let e = n; e > 0; e = Math.floor(e / 2)) {
    if (e % 2 === 1) {
      result = result === null ? base.slice() : multiply(result, base, m);
      resultBits += baseBits;
      resultBits += rescale(result);
    }
    if (e > 1) {
      base = multiply(base, base, m);
      baseBits *= 2;
      baseBits += rescale(base);
    }
  }
  let s = result![(k - 1) * m + (k - 1)]!;
  // Multiply by n!/n^n, keeping s in range.
  for (let i = 1; i <= n; i++) {
    s = (s * i) / n;
    if (s !== 0 && Math.abs(s) < SCALE_DOWN) {
      s *= SCALE_UP;
      resultBits -= SCALE_BITS;
    }
  }
  return timesPowerOfTwo(s, resultBits);
}

/**
 * P(D_n ≤ d) from Pelz & Good (1976), "Approximating the lower tail-areas of the Kolmogorov-Smirnov
 * one-sample statistic", JRSS B 38(2): the Li-Chien/Korolyuk expansion K0 + K1/√n + K2/n + K3/n^1.5
 * in z = d√n, each term rewritten with Jacobi's theta transformation so it converges for small z.
 */
export function pelzGoodCdf(n: number, d: number): number {
  if (d <= 0) return 0;
  if (d >= 1) return 1;
  const z = Math.sqrt(n) * d;
  const z2 = z * z;
  const z4 = z2 * z2;
  const z6 = z4 * z2;
  const pi2 = Math.PI * Math.PI;
  const pi4 = pi2 * pi2;
  const pi6 = pi4 * pi2;
  const logQ = -pi2 / 8 / z2;
  if (logQ < -708) return 0;
  const q = Math.exp(logQ);
  const k1a = -z2;
  const k1b = pi2 / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * pi2) / 4;
  const k2c = (pi4 * (1 - 2 * z2)) / 16;
  const k3d = (pi6 * (5 - 30 * z2)) / 64;
  const k3c = (pi4 * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (pi2 * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z4 * z4;
  // Σ_k c_k q^((2k-1)²) by Horner's scheme in q^(8k).
  const maxK = Math.ceil((16 * z) / Math.PI);
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  for (let k = maxK; k >= 1; k--) {
    const m = 2 * k - 1;
    const m2 = m * m;
    const m4 = m2 * m2;
    const m6 = m4 * m2;
    const qPower = q ** (8 * k);
    s0 = s0 * qPower + 1;
    s1 = s1 * qPower + (k1a + k1b * m2);
    s2 = s2 * qPower + (k2a + k2b * m2 + k2c * m4);
    s3 = s3 * qPower + (k3a + k3b * m2 + k3c * m4 + k3d * m6);
  }
  const front = q * Math.sqrt(2 * Math.PI);
  let K0 = (s0 * front) / z;
  let K1 = (s1 * front) / (6 * z4);
  let K2 = (s2 * front) / (72 * z6 * z);
  let K3 = (s3 * front) / (6480 * z6 * z4);
  // Terms of K2 and K3 summed over all integers k, in q' = exp(-π²/(2z²)).
  const q2 = Math.exp(-pi2 / 2 / z2);
  let extra2 = 0;
  let extra3 = 0;
  for (let k = maxK; k >= 1; k--) {
    const k2 = k * k;
    const w = k2 * q2 ** k2;
    extra2 += w;
    extra3 += (3 * z2 - pi2 * k2) * w;
  }
  K2 += (extra2 * pi2 * Math.sqrt(2 * Math.PI)) / (-36 * z2 * z);
  K3 += (extra3 * pi2 * Math.sqrt(2 * Math.PI)) / (216 * z6);
  K1 /= Math.sqrt(n);
  K2 /= n;
  K3 /= n * Math.sqrt(n);
  return K0 + K1 + K2 + K3;
}

function clip01(p: number): number {
  return Math.min(1, Math.max(0, p));
}

/** log(n!/n^n) without the cancellation of log n! − n log n. */
function logFactorialOverPower(n: number): number {
  return -n + 0.5 * Math.log(2 * Math.PI * n) + stirlingError(n);
}

/** P(D_n ≥ d) for the two-sided one-sample KS statistic with sample size n (scipy.stats.kstwo.sf). */
export function ksOneSampleSf(n: number, d: number): number {
  if (!(Number.isInteger(n) && n >= 1)) throw new Error(`ksOneSampleSf: n must be a positive integer, got ${n}`);
  if (Number.isNaN(d)) return NaN;
  if (d >= 1) return 0;
  if (d <= 0) return 1;
  const t = n * d;
  if (t <= 1) {
    if (t <= 0.5) return 1;
    let cdf: number;
    if (n <= 140) {
      cdf = 1;
      for (let i = 1; i <= n; i++) cdf *= (i / n) * (2 * t - 1);
    } else {
      cdf = Math.exp(logFactorialOverPower(n) + n * Math.log(2 * t - 1));
    }
    return clip01(1 - cdf);
  }
  if (t >= n - 1) return clip01(2 * (1 - d) ** n);
  if (d >= 0.5) return clip01(2 * smirnovSf(n, d));
  const nd2 = t * d;
  if (n <= 140) {
    if (nd2 <= 4) return clip01(1 - durbinCdf(n, d));
    return clip01(2 * smirnovSf(n, d));
  }
  if (nd2 >= 370) return 0;
  if (nd2 >= 2.2) return clip01(2 * smirnovSf(n, d));
  const cdf = n <= 100_000 && n * d ** 1.5 <= 1.4 ? durbinCdf(n, d) : pelzGoodCdf(n, d);
  return clip01(1 - cdf);
}
