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
 * Fills the columns `dense` and `sparse` of `hist` (zeroing them first) from the rows idx[from, to) of the
 * column-major `bins` (`rows` per column). `og` / `oh` hold the gradients and hessians (float32, as scikit-learn
 * keeps them: half the memory traffic; the sums are float64) in the same positions as `idx` (moved with the rows
 * on every partition, so they are read in order); with `identity` the node holds every row in order
 * and idx is not read. `sums` holds the node's [g, h, count].
 *  - dense columns go four per pass: a row's index and gradients are loaded once for four updates;
 *  - sparse columns (skip[f] ≥ 0) too, leaving out the rows of bin skip[f], which is then set to the node's
 *    sums minus the column's other bins.
 * Each bin sums its rows in row order whatever the grouping or the thread, so every way of building a
 * histogram gives the same bits.
 *
 * Self-contained on purpose (no outer names): gbdt-threads.ts runs this function's source in worker threads.
 */
export function accumulateColumns(
  hist: Float64Array,
  bins: Uint8Array,
  rows: number,
  start: Int32Array,
  skip: Int32Array,
  dense: Int32Array,
  sparse: Int32Array,
  idx: Int32Array,
  from: number,
  to: number,
  og: Float32Array,
  oh: Float32Array,
  identity: boolean,
  sums: Float64Array,
): void {
  let j = 0;
  for (; j + 4 <= dense.length; j += 4) {
    const f0 = dense[j]!;
    const f1 = dense[j + 1]!;
    const f2 = dense[j + 2]!;
    const f3 = dense[j + 3]!;
    const b0 = 3 * start[f0]!;
    const b1 = 3 * start[f1]!;
    const b2 = 3 * start[f2]!;
    const b3 = 3 * start[f3]!;
    hist.fill(0, b0, 3 * start[f0 + 1]!);
    hist.fill(0, b1, 3 * start[f1 + 1]!);
    hist.fill(0, b2, 3 * start[f2 + 1]!);
    hist.fill(0, b3, 3 * start[f3 + 1]!);
    const c0 = f0 * rows;
    const c1 = f1 * rows;
    const c2 = f2 * rows;
    const c3 = f3 * rows;
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
  for (; j < dense.length; j++) {
    const f = dense[j]!;
    const base = 3 * start[f]!;
    hist.fill(0, base, 3 * start[f + 1]!);
    const col = f * rows;
    for (let i = from; i < to; i++) {
      const p = base + 3 * bins[col + (identity ? i : idx[i]!)]!;
      hist[p] = hist[p]! + og[i]!;
      hist[p + 1] = hist[p + 1]! + oh[i]!;
      hist[p + 2] = hist[p + 2]! + 1;
    }
  }
  let k = 0;
  for (; k + 4 <= sparse.length; k += 4) {
    const f0 = sparse[k]!;
    const f1 = sparse[k + 1]!;
    const f2 = sparse[k + 2]!;
    const f3 = sparse[k + 3]!;
    const b0 = 3 * start[f0]!;
    const b1 = 3 * start[f1]!;
    const b2 = 3 * start[f2]!;
    const b3 = 3 * start[f3]!;
    hist.fill(0, b0, 3 * start[f0 + 1]!);
    hist.fill(0, b1, 3 * start[f1 + 1]!);
    hist.fill(0, b2, 3 * start[f2 + 1]!);
    hist.fill(0, b3, 3 * start[f3 + 1]!);
    const c0 = f0 * rows;
    const c1 = f1 * rows;
    const c2 = f2 * rows;
    const c3 = f3 * rows;
    const s0 = skip[f0]!;
    const s1 = skip[f1]!;
    const s2 = skip[f2]!;
    const s3 = skip[f3]!;
    for (let i = from; i < to; i++) {
      const r = identity ? i : idx[i]!;
      const g = og[i]!;
      const h = oh[i]!;
      let b = bins[c0 + r]!;
      if (b !== s0) {
        const p = b0 + 3 * b;
        hist[p] = hist[p]! + g;
        hist[p + 1] = hist[p + 1]! + h;
        hist[p + 2] = hist[p + 2]! + 1;
      }
      b = bins[c1 + r]!;
      if (b !== s1) {
        const p = b1 + 3 * b;
        hist[p] = hist[p]! + g;
        hist[p + 1] = hist[p + 1]! + h;
        hist[p + 2] = hist[p + 2]! + 1;
      }
      b = bins[c2 + r]!;
      if (b !== s2) {
        const p = b2 + 3 * b;
        hist[p] = hist[p]! + g;
        hist[p + 1] = hist[p + 1]! + h;
        hist[p + 2] = hist[p + 2]! + 1;
      }
      b = bins[c3 + r]!;
      if (b !== s3) {
        const p = b3 + 3 * b;
        hist[p] = hist[p]! + g;
        hist[p + 1] = hist[p + 1]! + h;
        hist[p + 2] = hist[p + 2]! + 1;
      }
    }
  }
  for (; k < sparse.length; k++) {
    const f = sparse[k]!;
    const base = 3 * start[f]!;
    hist.fill(0, base, 3 * start[f + 1]!);
    const col = f * rows;
    const s = skip[f]!;
    for (let i = from; i < to; i++) {
      const b = bins[col + (identity ? i : idx[i]!)]!;
      if (b === s) continue;
      const p = base + 3 * b;
      hist[p] = hist[p]! + og[i]!;
      hist[p + 1] = hist[p + 1]! + oh[i]!;
      hist[p + 2] = hist[p + 2]! + 1;
    }
  }
  // The skipped bins: the node's sums minus the column's other bins.
  for (k = 0; k < sparse.length; k++) {
    const f = sparse[k]!;
    const base = 3 * start[f]!;
    const end = 3 * start[f + 1]!;
    let g = sums[0]!;
    let h = sums[1]!;
    let c = sums[2]!;
    for (let p = base; p < end; p += 3) {
      g -= hist[p]!;
      h -= hist[p + 1]!;
      c -= hist[p + 2]!;
    }
    const q = base + 3 * skip[f]!;
    hist[q] = g;
    hist[q + 1] = h;
    hist[q + 2] = c;
  }
}

/** Columns [f0, f1) split into the kernel's dense and sparse lists. */
export function columnLists(skip: Int32Array, f0: number, f1: number): { dense: Int32Array; sparse: Int32Array } {
  const dense: number[] = [];
  const sparse: number[] = [];
  for (let f = f0; f < f1; f++) (skip[f]! >= 0 ? sparse : dense).push(f);
  return { dense: Int32Array.from(dense), sparse: Int32Array.from(sparse) };
}

/** parent ← parent − child: the sibling's histogram, without a pass over its rows. */
export function subtractHistogram(parent: Float64Array, child: Float64Array): void {
  for (let i = 0; i < parent.length; i++) parent[i] = parent[i]! - child[i]!;
}
