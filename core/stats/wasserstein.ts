// Wasserstein-1 (earth mover's) distance between two empirical distributions, ∫ |F(x) − G(x)| dx
// (scipy.stats.wasserstein_distance(a, b)), and Evidently's drift variant normed by the reference std.
import { sortInPlace } from './sort';

/**
 * W1 of two ascending-sorted samples without NaN, as ∫₀¹ |F⁻¹(u) − G⁻¹(u)| du (equal to ∫ |F − G| dx in
 * one dimension). The quantile functions step at u = k/n1 and u = l/n2, a pattern that does not depend
 * on the data, so this walk runs several times faster than merging the samples by value.
 */
export function wassersteinSorted(a: Float64Array, b: Float64Array): number {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) throw new Error('Wasserstein distance needs two non-empty samples');
  // u measured in units of 1/(n1·n2): a's quantile steps at multiples of n2, b's at multiples of n1.
  let k = 0;
  let l = 0;
  let t = 0;
  let area = 0;
  while (k < n1 && l < n2) {
    const nextA = (k + 1) * n2;
    const nextB = (l + 1) * n1;
    const next = nextA < nextB ? nextA : nextB;
    area += Math.abs(a[k]! - b[l]!) * (next - t);
    t = next;
    if (nextA === next) k++;
    if (nextB === next) l++;
  }
  return area / n1 / n2;
}

/** W1 of two samples; sorts copies. Throws on NaN (drop missing values first). */
export function wassersteinDistance(a: Float64Array, b: Float64Array): number {
  if (a.some(Number.isNaN) || b.some(Number.isNaN)) throw new Error('Wasserstein distance: a sample contains NaN; drop missing values first');
  return wassersteinSorted(sortInPlace(a.slice()), sortInPlace(b.slice()));
}

/** Population standard deviation (ddof = 0, numpy.std's default), two-pass. */
export function populationStd(values: Float64Array): number {
  const n = values.length;
  if (n === 0) return NaN;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i]!;
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i]! - mean) ** 2;
  return Math.sqrt(ss / n);
}

/**
 * Lower bound on the norm (Evidently's 0.001): a constant reference has std 0, and dividing by it would
 * turn any movement into ∞. Columns measured in tiny units should be rescaled before the check.
 */
export const WASSERSTEIN_MIN_NORM = 0.001;

/** W1 divided by max(std(reference), 0.001): Evidently's "wasserstein" drift statistic (drift at ≥ 0.1). */
export function normedWassersteinSorted(reference: Float64Array, current: Float64Array): number {
  return wassersteinSorted(reference, current) / Math.max(populationStd(reference), WASSERSTEIN_MIN_NORM);
}
