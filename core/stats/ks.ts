// Two-sample Kolmogorov–Smirnov test, two-sided, matching scipy.stats.ks_2samp(a, b) (method='auto').
//
// Exact or asymptotic — the switch is scipy's (1.17) rule for method='auto':
//   max(n1, n2) ≤ 10 000  → exact:      P(D ≥ d) over all C(n1+n2, n1) equally likely orderings
//   max(n1, n2) > 10 000  → asymptotic: kstwo.sf(d, round(n1·n2/(n1+n2))) (the one-sample distribution at
//                                       the effective size, rounded half to even like numpy)
// The exact p-value costs O(d·n1·n2) steps: ~0.9 s in the worst case (10 000 vs 10 000 disjoint values),
// under 0.1 s when one sample has ≤ 1000 values (auto drift checks), a few ms for typical drift.
import { ksOneSampleSf } from './ks-distribution';
import { sortInPlace } from './sort';

export interface KsResult {
  /** D = sup |F_reference − F_current|. */
  statistic: number;
  pValue: number;
  method: 'exact' | 'asymptotic';
}

/** Both samples at most this large → exact p-value (scipy's MAX_AUTO_N). */
export const KS_EXACT_MAX_N = 10_000;

/**
 * max over x of |i(x)·n2 − j(x)·n1|, where i(x), j(x) count the values ≤ x in each sorted sample.
 * Integer-valued, so D = this / (n1·n2) exactly; all ties at x are counted before comparing, as scipy's
 * searchsorted(side='right') does.
 */
function maxCdfGap(a: Float64Array, b: Float64Array): number {
  const n1 = a.length;
  const n2 = b.length;
  let i = 0;
  let j = 0;
  let best = 0;
  while (i < n1 && j < n2) {
    const ai = a[i]!;
    const bj = b[j]!;
    const x = ai <= bj ? ai : bj;
    while (i < n1 && a[i]! <= x) i++;
    while (j < n2 && b[j]! <= x) j++;
    const gap = Math.abs(i * n2 - j * n1);
    if (gap > best) best = gap;
  }
  // Once one sample is used up the gap only shrinks, so the loop has seen the maximum.
  return best;
}

/**
 * P(D ≥ h/n) for two samples of equal size n (Hodges' reflection formula):
 * 2 Σ_{k≥1} (-1)^(k-1) C(2n, n-kh) / C(2n, n), evaluated innermost-first as r1(1 − r2(1 − r3(…))) with
 * r_k = C(2n, n-kh) / C(2n, n-(k-1)h), all ≤ 1, so there is no cancellation between large binomials.
 */
function equalSizesSf(n: number, h: number): number {
  let acc = 0;
  for (let k = Math.floor(n / h); k >= 1; k--) {
    const base = (k - 1) * h;
    let r = 1;
    for (let j = 0; j < h; j++) r *= (n - base - j) / (n + base + j + 1);
    acc = r * (1 - acc);
  }
  return 2 * acc;
}

/**
 * P(D ≥ gap/(n1·n2)) for unequal sizes: lattice paths from (0,0) to (n1,n2), one step per observation.
 * c(i,j) = probability that a uniformly random path to (i,j) has touched |i·n2 − j·n1| ≥ gap; it is 1 on
 * and beyond that boundary and (i·c(i-1,j) + j·c(i,j-1)) / (i+j) inside (a random path to (i,j) arrives
 * from the left with probability i/(i+j)). Computing the exceedance probability directly, as a convex
 * combination, keeps small p-values accurate (Viehmann 2021, arXiv:2102.08037); only the band of inside
 * points is visited.
 */
function latticeSf(n1: number, n2: number, gap: number): number {
  let prev = new Float64Array(n2 + 1);
  let cur = new Float64Array(n2 + 1);
  let prevLo = 0;
  let prevHi = -1;
  for (let i = 0; i <= n1; i++) {
    // Inside points of row i: (i·n2 − gap)/n1 < j < (i·n2 + gap)/n1.
    const lo = Math.max(0, Math.floor((i * n2 - gap) / n1) + 1);
    const hi = Math.min(n2, Math.ceil((i * n2 + gap) / n1) - 1);
    for (let j = lo; j <= hi; j++) {
      if (i === 0 && j === 0) {
        cur[0] = 0;
        continue;
      }
      const up = i === 0 ? 0 : j >= prevLo && j <= prevHi ? prev[j]! : 1;
      const left = j === 0 ? 0 : j - 1 >= lo ? cur[j - 1]! : 1;
      cur[j] = (i * up + j * left) / (i + j);
    }
    const t = prev;
    prev = cur;
    cur = t;
    prevLo = lo;
    prevHi = hi;
  }
  return prev[n2]!;
}

/** Exact two-sided p-value P(D ≥ gap/(n1·n2)) under H0 (no ties in the population). */
export function ksExactSf(n1: number, n2: number, gap: number): number {
  if (gap <= 0) return 1;
  const p = n1 === n2 ? equalSizesSf(n1, gap / n1) : latticeSf(n1, n2, gap);
  return Math.min(1, Math.max(0, p));
}

/** numpy's round: halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** KS test on samples already sorted ascending and free of NaN. */
export function ksTwoSampleSorted(reference: Float64Array, current: Float64Array): KsResult {
  const n1 = reference.length;
  const n2 = current.length;
  if (n1 === 0 || n2 === 0) throw new Error('KS test needs two non-empty samples');
  const gap = maxCdfGap(reference, current);
  return ksResult(n1, n2, gap);
}

/** The result for D = gap / (n1·n2), with scipy's choice between the exact and the asymptotic p-value. */
export function ksResult(n1: number, n2: number, gap: number): KsResult {
  const statistic = gap / (n1 * n2);
  if (Math.max(n1, n2) <= KS_EXACT_MAX_N) {
    return { statistic, pValue: ksExactSf(n1, n2, gap), method: 'exact' };
  }
  const effectiveN = Math.max(1, roundHalfEven((n1 * n2) / (n1 + n2)));
  return { statistic, pValue: ksOneSampleSf(effectiveN, statistic), method: 'asymptotic' };
}

/** Two-sample KS test; sorts copies of the samples. Throws on NaN (drop missing values first). */
export function ksTwoSample(reference: Float64Array, current: Float64Array): KsResult {
  for (const [label, sample] of [
    ['reference', reference],
    ['current', current],
  ] as const) {
    if (sample.some((v) => Number.isNaN(v))) throw new Error(`KS test: the ${label} sample contains NaN; drop missing values first`);
  }
  return ksTwoSampleSorted(sortInPlace(reference.slice()), sortInPlace(current.slice()));
}
