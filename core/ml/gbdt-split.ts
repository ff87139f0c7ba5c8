// The best split of one node from its histogram. Candidates per column: "bins ≤ b go left" for every value bin
// b but the last, with the node's missing rows sent right and (when it has any) left; plus "all values left,
// missing right" when the node has missing rows (a split on missingness alone).
// gain = G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ); both children need ≥ minSamplesLeaf rows and
// ≥ minHessianLeaf hessian; the largest strictly positive gain wins, the first found on ties (columns, then
// bins, in order: the result is deterministic).
//
// Categorical columns (LightGBM / scikit-learn HGB): the categories of the node with at least minCategoryRows
// rows (the missing values count as one more category) are ordered by G / (H + categorySmoothing), and that
// order is scanned like a numeric column, from both ends, up to maxCategoriesPerSplit categories on the left.
// The rarer categories, and codes without rows, go right.
import { scanCategorical } from './gbdt-categorical';
import type { HistogramLayout } from './gbdt-histogram';

export interface SplitRule {
  l2: number;
  minSamplesLeaf: number;
  minHessianLeaf: number;
  minCategoryRows: number;
  categorySmoothing: number;
  maxCategoriesPerSplit: number;
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
  /** Categorical splits: the codes going left (CAT_WORDS words, bit c = code c); `bin` is then unused. */
  set?: Uint32Array;
}

/** The best split of a node with totals `sums`, or undefined when no candidate has a positive gain. */
export function findBestSplit(
  hist: Float64Array,
  layout: HistogramLayout,
  valueBins: Int32Array,
  categorical: Uint8Array,
  sums: NodeSums,
  rule: SplitRule,
): Split | undefined {
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
  let bestSet: Uint32Array | undefined;
  for (let f = 0; f < valueBins.length; f++) {
    const nb = valueBins[f]!;
    const base = 3 * layout.start[f]!;
    if (categorical[f] === 1) {
      const found = scanCategorical(hist, base, nb, G, H, C, bestGain, rule);
      if (found !== undefined) {
        bestGain = found.gain;
        bestFeature = f;
        bestMissingLeft = found.missingLeft;
        bestG = found.g;
        bestH = found.h;
        bestC = found.count;
        bestSet = found.set;
      }
      continue;
    }
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
          bestSet = undefined;
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
          bestSet = undefined;
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
    ...(bestSet !== undefined ? { set: bestSet } : {}),
  };
}

/** 1 per bin (value bins, then the missing bin) whose rows a split sends left. */
export function leftBins(split: Split, valueBins: number): Uint8Array {
  const out = new Uint8Array(256);
  const set = split.set;
  for (let b = 0; b < valueBins; b++) out[b] = set === undefined ? Number(b <= split.bin) : (set[b >>> 5]! >>> (b & 31)) & 1;
  out[valueBins] = Number(split.missingLeft);
  return out;
}
