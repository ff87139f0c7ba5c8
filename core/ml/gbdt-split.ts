// The best split of one node from its histogram. Candidates per column: "bins ≤ b go left" for every value bin
// b but the last, with the node's missing rows sent right and (when it has any) left; plus "all values left,
// missing right" when the node has missing rows (a split on missingness alone).
// gain = G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ); both children need ≥ minSamplesLeaf rows and
// ≥ minHessianLeaf hessian; the largest strictly positive gain wins, the first found on ties (columns, then
// bins, in order: the result is deterministic).
import type { HistogramLayout } from './gbdt-histogram';

export interface SplitRule {
  l2: number;
  minSamplesLeaf: number;
  minHessianLeaf: number;
}

export interface NodeSums {
  g: number;
  h: number;
  count: number;
}

export interface Split {
  gain: number;
  feature: number;
  /** Value bins ≤ bin go left; bin = valueBins − 1 means every value goes left and only missing goes right. */
  bin: number;
  missingLeft: boolean;
  left: NodeSums;
  right: NodeSums;
}

/** The best split of a node with totals `sums`, or undefined when no candidate has a positive gain. */
export function findBestSplit(hist: Float64Array, layout: HistogramLayout, valueBins: Int32Array, sums: NodeSums, rule: SplitRule): Split | undefined {
  const { l2, minSamplesLeaf, minHessianLeaf } = rule;
  const G = sums.g;
  const H = sums.h;
  const C = sums.count;
  const parent = (G * G) / (H + l2);
  let bestGain = 0;
  let bestFeature = -1;
  let bestBin = 0;
  let bestMissingLeft = false;
  let bestG = 0;
  let bestH = 0;
  let bestC = 0;
  for (let f = 0; f < valueBins.length; f++) {
    const nb = valueBins[f]!;
    const base = 3 * layout.start[f]!;
    const m = base + 3 * nb;
    const gm = hist[m]!;
    const hm = hist[m + 1]!;
    const cm = hist[m + 2]!;
    let gl = 0;
    let hl = 0;
    let cl = 0;
    for (let b = 0; b < nb; b++) {
      const p = base + 3 * b;
      gl += hist[p]!;
      hl += hist[p + 1]!;
      cl += hist[p + 2]!;
      if (b === nb - 1 && cm === 0) break;
      // Missing right (for the last bin: every value left, missing right).
      if (cl >= minSamplesLeaf && C - cl >= minSamplesLeaf && hl >= minHessianLeaf && H - hl >= minHessianLeaf) {
        const gr = G - gl;
        const gain = (gl * gl) / (hl + l2) + (gr * gr) / (H - hl + l2) - parent;
        if (gain > bestGain) {
          bestGain = gain;
          bestFeature = f;
          bestBin = b;
          bestMissingLeft = false;
          bestG = gl;
          bestH = hl;
          bestC = cl;
        }
      }
      if (cm === 0 || b === nb - 1) continue;
      const glm = gl + gm;
      const hlm = hl + hm;
      const clm = cl + cm;
      if (clm >= minSamplesLeaf && C - clm >= minSamplesLeaf && hlm >= minHessianLeaf && H - hlm >= minHessianLeaf) {
        const gr = G - glm;
        const gain = (glm * glm) / (hlm + l2) + (gr * gr) / (H - hlm + l2) - parent;
        if (gain > bestGain) {
          bestGain = gain;
          bestFeature = f;
          bestBin = b;
          bestMissingLeft = true;
          bestG = glm;
          bestH = hlm;
          bestC = clm;
        }
      }
    }
  }
  if (bestFeature < 0) return undefined;
  let missingLeft = bestMissingLeft;
  const m = 3 * (layout.start[bestFeature]! + valueBins[bestFeature]!);
  // No missing rows here: a missing value at prediction time follows the majority of the rows (as sklearn).
  if (hist[m + 2]! === 0) missingLeft = bestC >= C - bestC;
  return {
    gain: bestGain,
    feature: bestFeature,
    bin: bestBin,
    missingLeft,
    left: { g: bestG, h: bestH, count: bestC },
    right: { g: G - bestG, h: H - bestH, count: C - bestC },
  };
}
