// Gradient histograms of one tree node: per column and bin, the sums of gradients, hessians and rows, stored
// interleaved ([g, h, count] per bin) in one Float64Array, columns back to back (value bins, then the missing bin).
import type { BinnedMatrix } from './gbdt-binning';

export interface HistogramLayout {
  /** Per column: index of its first bin; entry cols is the total, so column f spans [start[f], start[f + 1]). */
  start: Int32Array;
  /** Bins over all columns; a histogram holds 3 × total numbers. */
  total: number;
}

export function histogramLayout(binned: BinnedMatrix): HistogramLayout {
  const start = new Int32Array(binned.cols + 1);
  for (let f = 0; f < binned.cols; f++) start[f + 1] = start[f]! + binned.valueBins[f]! + 1;
  return { start, total: start[binned.cols]! };
}

/**
 * Fills columns [f0, f1) of `hist` (zeroing them first) from the rows idx[from, to) of the column-major `bins`
 * (`rows` per column). `og` / `oh` hold the gradients and hessians in the same positions as `idx` (gathered
 * once per node, so they are read in order); with `identity` the node holds every row in order and idx is not
 * read. Columns go four per pass: a row's index and gradients are loaded once for four updates. Each bin sums
 * its rows in row order, however the columns are grouped or shared out between threads, so every way of
 * building a histogram gives the same bits.
 *
 * Self-contained on purpose (no outer names): gbdt-threads.ts runs this function's source in worker threads.
 */
export function accumulateColumns(
  hist: Float64Array,
  bins: Uint8Array,
  rows: number,
  start: Int32Array,
  f0: number,
  f1: number,
  idx: Int32Array,
  from: number,
  to: number,
  og: Float64Array,
  oh: Float64Array,
  identity: boolean,
): void {
  hist.fill(0, 3 * start[f0]!, 3 * start[f1]!);
  let f = f0;
  for (; f + 4 <= f1; f += 4) {
    const b0 = 3 * start[f]!;
    const b1 = 3 * start[f + 1]!;
    const b2 = 3 * start[f + 2]!;
    const b3 = 3 * start[f + 3]!;
    const c0 = f * rows;
    const c1 = c0 + rows;
    const c2 = c1 + rows;
    const c3 = c2 + rows;
    for (let i = from; i < to; i++) {
      const r = identity ? i : idx[i]!;
      const g = og[i]!;
      const h = oh[i]!;
      let p = b0 + 3 * bins[c0 + r]!;
      hist[p] = hist[p]! + g;
      hist[p + 1] = hist[p + 1]! + h;
      hist[p + 2] = hist[p + 2]! + 1;
      p = b1 + 3 * bins[c1 + r]!;
      hist[p] = hist[p]! + g;
      hist[p + 1] = hist[p + 1]! + h;
      hist[p + 2] = hist[p + 2]! + 1;
      p = b2 + 3 * bins[c2 + r]!;
      hist[p] = hist[p]! + g;
      hist[p + 1] = hist[p + 1]! + h;
      hist[p + 2] = hist[p + 2]! + 1;
      p = b3 + 3 * bins[c3 + r]!;
      hist[p] = hist[p]! + g;
      hist[p + 1] = hist[p + 1]! + h;
      hist[p + 2] = hist[p + 2]! + 1;
    }
  }
  for (; f < f1; f++) {
    const base = 3 * start[f]!;
    const col = f * rows;
    for (let i = from; i < to; i++) {
      const p = base + 3 * bins[col + (identity ? i : idx[i]!)]!;
      hist[p] = hist[p]! + og[i]!;
      hist[p + 1] = hist[p + 1]! + oh[i]!;
      hist[p + 2] = hist[p + 2]! + 1;
    }
  }
}

/** parent ← parent − child: the sibling's histogram, without a pass over its rows. */
export function subtractHistogram(parent: Float64Array, child: Float64Array): void {
  for (let i = 0; i < parent.length; i++) parent[i] = parent[i]! - child[i]!;
}
