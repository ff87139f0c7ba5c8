// Population Stability Index: Σ (c_i − r_i) ln(c_i / r_i) over bins or categories, with r and c the
// reference and current proportions. Conventions: < 0.1 stable, 0.1–0.25 moderate shift, > 0.25 major shift.
import { binCountsSorted, referenceQuantileEdges } from './quantile-bins';

/** Proportion used in place of an empty bin's 0, which would make ln(c/r) infinite (Evidently's 1e-4). */
export const PSI_FLOOR = 1e-4;

/** PSI from aligned counts (index i is the same bin/category in both); empty bins get `floor`. */
export function populationStabilityIndex(referenceCounts: ArrayLike<number>, currentCounts: ArrayLike<number>, floor = PSI_FLOOR): number {
  const k = referenceCounts.length;
  if (currentCounts.length !== k) throw new Error(`PSI: ${k} reference bins but ${currentCounts.length} current bins`);
  let refTotal = 0;
  let curTotal = 0;
  for (let i = 0; i < k; i++) {
    refTotal += referenceCounts[i]!;
    curTotal += currentCounts[i]!;
  }
  if (!(refTotal > 0 && curTotal > 0)) throw new Error('PSI: both samples need at least one counted value');
  let psi = 0;
  for (let i = 0; i < k; i++) {
    const r = referenceCounts[i]! > 0 ? referenceCounts[i]! / refTotal : floor;
    const c = currentCounts[i]! > 0 ? currentCounts[i]! / curTotal : floor;
    psi += (c - r) * Math.log(c / r);
  }
  return psi;
}

/** PSI of a numeric column over `bins` bins at the reference quantiles (samples sorted, no NaN). */
export function numericPsi(sortedReference: Float64Array, sortedCurrent: Float64Array, bins = 10): number {
  const edges = referenceQuantileEdges(sortedReference, bins);
  return populationStabilityIndex(binCountsSorted(sortedReference, edges), binCountsSorted(sortedCurrent, edges));
}
