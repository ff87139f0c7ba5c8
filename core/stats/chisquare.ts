// Pearson chi-squared tests for categorical drift: goodness of fit of the current counts to the
// reference proportions, and the 2×k homogeneity (contingency) test of reference vs current counts.
import { chiSquaredSf } from './special';

export interface ChiSquareResult {
  statistic: number;
  df: number;
  pValue: number;
}

/** Σ (observed − expected)² / expected with df = k − 1 (scipy.stats.chisquare(f_obs, f_exp)). */
export function chiSquareGoodnessOfFit(observed: ArrayLike<number>, expected: ArrayLike<number>): ChiSquareResult {
  const k = observed.length;
  if (expected.length !== k) throw new Error(`chi-squared: ${k} observed counts but ${expected.length} expected counts`);
  if (k < 1) throw new Error('chi-squared: no categories');
  let statistic = 0;
  let totalObserved = 0;
  let totalExpected = 0;
  for (let i = 0; i < k; i++) {
    const o = observed[i]!;
    const e = expected[i]!;
    if (!(e > 0)) throw new Error(`chi-squared: expected count of category ${i} is ${e}; every expected count must be > 0`);
    statistic += ((o - e) * (o - e)) / e;
    totalObserved += o;
    totalExpected += e;
  }
  if (Math.abs(totalObserved - totalExpected) > 1e-8 * Math.max(totalObserved, totalExpected)) {
    throw new Error(`chi-squared: observed total ${totalObserved} differs from expected total ${totalExpected}`);
  }
  const df = k - 1;
  return { statistic, df, pValue: df === 0 ? 1 : chiSquaredSf(statistic, df) };
}

/**
 * Pseudo-count given to a category that the reference never saw, so its expected count is not zero and
 * the statistic stays finite (a zero would make any current occurrence an infinite statistic, p = 0).
 * Half an observation is the usual continuity choice; proportions are renormalised over all categories.
 */
export const UNSEEN_REFERENCE_COUNT = 0.5;

/**
 * Goodness of fit of the current counts against the reference proportions scaled to the current total
 * (Evidently's chi-squared drift test, with the floor above for categories new in the current sample).
 * Counts are aligned: index i is the same category in both.
 */
export function chiSquareAgainstReference(referenceCounts: ArrayLike<number>, currentCounts: ArrayLike<number>): ChiSquareResult {
  const k = referenceCounts.length;
  if (currentCounts.length !== k) throw new Error(`chi-squared: ${k} reference categories but ${currentCounts.length} current ones`);
  let refTotal = 0;
  let curTotal = 0;
  for (let i = 0; i < k; i++) {
    refTotal += referenceCounts[i]! > 0 ? referenceCounts[i]! : UNSEEN_REFERENCE_COUNT;
    curTotal += currentCounts[i]!;
  }
  const expected = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    const r = referenceCounts[i]! > 0 ? referenceCounts[i]! : UNSEEN_REFERENCE_COUNT;
    expected[i] = (r / refTotal) * curTotal;
  }
  return chiSquareGoodnessOfFit(currentCounts, expected);
}

/**
 * Pearson's test of homogeneity on the 2×k table [reference counts; current counts], df = (2−1)(k−1),
 * without Yates' continuity correction (scipy.stats.chi2_contingency(table, correction=False)).
 * Categories absent from both samples are dropped; a single category gives statistic 0, df 0, p = 1.
 */
export function chiSquareContingency(referenceCounts: ArrayLike<number>, currentCounts: ArrayLike<number>): ChiSquareResult {
  const k = referenceCounts.length;
  if (currentCounts.length !== k) throw new Error(`chi-squared: ${k} reference categories but ${currentCounts.length} current ones`);
  let refTotal = 0;
  let curTotal = 0;
  let used = 0;
  for (let i = 0; i < k; i++) {
    refTotal += referenceCounts[i]!;
    curTotal += currentCounts[i]!;
    if (referenceCounts[i]! + currentCounts[i]! > 0) used++;
  }
  if (refTotal <= 0 || curTotal <= 0) throw new Error('chi-squared: both samples need at least one counted value');
  const total = refTotal + curTotal;
  let statistic = 0;
  for (let i = 0; i < k; i++) {
    const column = referenceCounts[i]! + currentCounts[i]!;
    if (column <= 0) continue;
    const eRef = (refTotal * column) / total;
    const eCur = (curTotal * column) / total;
    statistic += (referenceCounts[i]! - eRef) ** 2 / eRef + (currentCounts[i]! - eCur) ** 2 / eCur;
  }
  const df = used - 1;
  if (df <= 0) return { statistic: 0, df: 0, pValue: 1 };
  return { statistic, df, pValue: chiSquaredSf(statistic, df) };
}
