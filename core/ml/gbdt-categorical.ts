// The best split of one categorical column of a node (see gbdt-split.ts): its categories with enough rows,
// the missing bin among them, ordered by G / (H + smoothing) and scanned from both ends.
import { CAT_WORDS } from './model';
import type { SplitRule } from './gbdt-split';

export interface CategoricalSplit {
  gain: number;
  /** Sums of the left side. */
  g: number;
  h: number;
  count: number;
  missingLeft: boolean;
  /** Codes going left, bit c of word c >> 5. */
  set: Uint32Array;
}

// Scratch for the scan (one node at a time, on the calling thread).
const order = new Int32Array(256);
const key = new Float64Array(256);

/**
 * Scans the column whose histogram starts at `base` (value bins 0 … nb − 1, missing bin nb) of a node with
 * totals G, H, C; returns a split only when its gain beats `beat`. Ties keep the first found: the forward scan
 * before the backward one, shorter sets first.
 */
export function scanCategorical(
  hist: Float64Array,
  base: number,
  nb: number,
  G: number,
  H: number,
  C: number,
  beat: number,
  rule: SplitRule,
): CategoricalSplit | undefined {
  const { l2, minSamplesLeaf, minHessianLeaf, minCategoryRows, categorySmoothing, maxCategoriesPerSplit } = rule;
  let n = 0;
  for (let b = 0; b <= nb; b++) {
    const p = base + 3 * b;
    if (hist[p + 2]! < minCategoryRows) continue;
    const k = hist[p]! / (hist[p + 1]! + categorySmoothing);
    // Insertion by key, ties by bin: the order does not depend on anything but the histogram.
    let i = n++;
    while (i > 0 && key[i - 1]! > k) {
      key[i] = key[i - 1]!;
      order[i] = order[i - 1]!;
      i--;
    }
    key[i] = k;
    order[i] = b;
  }
  if (n === 0) return undefined;
  const parent = (G * G) / (H + l2);
  const limit = Math.min(n, maxCategoriesPerSplit);
  let best = beat;
  let bestDir = 0;
  let bestLen = 0;
  let bestG = 0;
  let bestH = 0;
  let bestC = 0;
  for (const dir of [1, -1]) {
    let gl = 0;
    let hl = 0;
    let cl = 0;
    for (let j = 0; j < limit; j++) {
      const p = base + 3 * order[dir === 1 ? j : n - 1 - j]!;
      gl += hist[p]!;
      hl += hist[p + 1]!;
      cl += hist[p + 2]!;
      if (cl < minSamplesLeaf || C - cl < minSamplesLeaf || hl < minHessianLeaf || H - hl < minHessianLeaf) continue;
      const gr = G - gl;
      const gain = (gl * gl) / (hl + l2) + (gr * gr) / (H - hl + l2) - parent;
      if (gain > best) {
        best = gain;
        bestDir = dir;
        bestLen = j + 1;
        bestG = gl;
        bestH = hl;
        bestC = cl;
      }
    }
  }
  if (bestDir === 0) return undefined;
  const set = new Uint32Array(CAT_WORDS);
  let missingLeft = false;
  for (let j = 0; j < bestLen; j++) {
    const b = order[bestDir === 1 ? j : n - 1 - j]!;
    if (b === nb) missingLeft = true;
    else set[b >>> 5] = (set[b >>> 5]! | (1 << (b & 31))) >>> 0;
  }
  return { gain: best, g: bestG, h: bestH, count: bestC, missingLeft, set };
}
