// Bins numeric samples at the reference sample's quantiles, for PSI and the Jensen–Shannon distance.
import { countAtMost } from './sort';

/** Quantile of an ascending-sorted sample with linear interpolation (numpy.quantile's default). */
export function quantileSorted(sorted: Float64Array, p: number): number {
  const n = sorted.length;
  if (n === 0) throw new Error('quantile of an empty sample');
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  const a = sorted[lo]!;
  return a + (h - lo) * (sorted[hi]! - a);
}

/**
 * Interior bin edges at the reference quantiles 1/bins, 2/bins, …, (bins−1)/bins, duplicates removed
 * (heavy ties in the reference give fewer, wider bins). Bins are (−∞, e1], (e1, e2], …, (e_last, ∞).
 */
export function referenceQuantileEdges(sortedReference: Float64Array, bins = 10): Float64Array {
  if (!(Number.isInteger(bins) && bins >= 2)) throw new Error(`quantile bins: need an integer number of bins ≥ 2, got ${bins}`);
  const edges: number[] = [];
  for (let i = 1; i < bins; i++) {
    const e = quantileSorted(sortedReference, i / bins);
    if (edges.length === 0 || e > edges[edges.length - 1]!) edges.push(e);
  }
  return Float64Array.from(edges);
}

/** Counts of an ascending-sorted sample in the bins (−∞, e1], (e1, e2], …, (e_last, ∞). */
export function binCountsSorted(sorted: Float64Array, edges: Float64Array): Float64Array {
  const counts = new Float64Array(edges.length + 1);
  let below = 0;
  for (let b = 0; b < edges.length; b++) {
    const upTo = countAtMost(sorted, edges[b]!);
    counts[b] = upTo - below;
    below = upTo;
  }
  counts[edges.length] = sorted.length - below;
  return counts;
}
