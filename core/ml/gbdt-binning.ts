// Histogram GBDT binning: per matrix column, ascending float32 bin edges placed on a seeded row subsample, and
// the whole matrix turned into byte bin indices, column-major. The rows may come a block at a time
// (a RowSource): only the bytes are held for every row, never the rows × cols float64 matrix.
//
// Bin of a value: x = f32(v); not finite → the missing bin (index edges.length + 1); otherwise the smallest b
// with x ≤ edges[b], or edges.length when x is above every edge. So "bin ≤ b" ⇔ "f32(v) ≤ edges[b]": a split
// between bins b and b + 1 is the threshold edges[b] under the rule f32(x) ≤ threshold goes left, which is
// what the exported ONNX trees (BRANCH_LEQ on float32 inputs) compute.
//
// Categorical columns (categories[f] = c > 0) hold codes 0 … c − 1 or NaN: code v is bin v, NaN the missing
// bin c; they have no edges.
import { seededRandom } from '../random';
import { countAtMost } from '../stats/sort';
import { asRowSource, type Matrix, type RowSource } from './model';

export interface BinnedMatrix {
  rows: number;
  cols: number;
  /** Column-major: bins[f * rows + r] is row r's bin in column f. */
  bins: Uint8Array;
  /** Per column: value bins (edges.length + 1); the missing bin is this index. */
  valueBins: Int32Array;
  /**
   * Per column: a bin holding at least SKIP_SHARE of the rows (one-hot zeros, mostly-missing columns), or −1.
   * Histograms skip its rows and get its sums as the node's totals minus the other bins (LightGBM's
   * most-frequent-bin trick): most rows of such a column cost a compare instead of three additions.
   */
  skipBin: Int32Array;
}

export const SKIP_SHARE = 0.75;

/**
 * Bin edges per column, from the finite float32 values of the sampled rows: with at most `maxBins` distinct
 * values, one edge between each pair of consecutive ones; otherwise one edge after each distinct interior
 * quantile j / maxBins (j = 1 … maxBins − 1), so bins hold about equal counts. An edge sits at the float32
 * midpoint between a value and the next larger one in the sample; a column has at most `maxBins` value bins,
 * and one without two distinct values has no edges.
 */
export function fitBinEdges(matrix: Matrix | RowSource, maxBins: number, subsample: number, seed: number, categories?: Int32Array): Float64Array[] {
  const source = asRowSource(matrix);
  const { cols } = source;
  const sample = sampleRows(source.rows, subsample, seed);
  const m = sample.length;
  const values = source.gather(sample); // the sampled rows only: at most `subsample` × cols values
  const edges: Float64Array[] = [];
  // Gather a group of columns per pass over the sampled rows (one cache line serves several columns).
  const group = Math.min(cols, 32);
  const gathered = new Float64Array(group * m);
  const counts = new Int32Array(group);
  for (let f0 = 0; f0 < cols; f0 += group) {
    const g = Math.min(group, cols - f0);
    counts.fill(0);
    for (let i = 0; i < m; i++) {
      const at = i * cols + f0;
      for (let j = 0; j < g; j++) {
        const x = Math.fround(values[at + j]!);
        if (x - x === 0) gathered[j * m + counts[j]!++] = x;
      }
    }
    for (let j = 0; j < g; j++) {
      const categorical = (categories?.[f0 + j] ?? 0) > 0;
      edges.push(categorical ? new Float64Array(0) : edgesOf(sortFloat32(gathered.subarray(j * m, j * m + counts[j]!)), maxBins));
    }
  }
  return edges;
}

/** Bins every row of `matrix` with `edges` (one list per column); categorical columns by their codes. */
export function binMatrix(matrix: Matrix | RowSource, edges: readonly Float64Array[], categories?: Int32Array): BinnedMatrix {
  const source = asRowSource(matrix);
  const { rows, cols } = source;
  if (edges.length !== cols) throw new Error(`gbdt binning: ${edges.length} edge lists for ${cols} matrix columns`);
  // Shared memory: histogram worker threads (gbdt-threads.ts) read the bins in place.
  const bins = new Uint8Array(new SharedArrayBuffer(rows * cols));
  const valueBins = Int32Array.from(edges, (e, f) => ((categories?.[f] ?? 0) > 0 ? categories![f]! : e.length + 1));
  for (let f = 0; f < cols; f++) {
    const k = edges[f]!.length;
    if ((categories?.[f] ?? 0) > 0 && valueBins[f]! > 255) {
      throw new Error(`gbdt binning: categorical column ${f} has ${valueBins[f]} codes; at most 255 fit in a byte with the missing bin`);
    }
    if (k > 254) throw new Error(`gbdt binning: column ${f} has ${k} edges; at most 254 fit in a byte with the missing bin`);
  }
  // Blocks of rows, every column of a block in turn: the block's values stay in cache for all its columns
  // (the matrix is row-major, the bins column-major).
  for (let r0 = 0; r0 < rows; r0 += BIN_BLOCK) {
    const n = Math.min(rows, r0 + BIN_BLOCK) - r0;
    const values = source.block(r0, r0 + n);
    for (let f = 0; f < cols; f++) {
      if ((categories?.[f] ?? 0) > 0) binCodes(values, f, cols, valueBins[f]!, bins, f * rows + r0, n, r0);
      else binValues(values, f, cols, edges[f]!, bins, f * rows + r0, n);
    }
  }
  const skipBin = new Int32Array(cols).fill(-1);
  const counts = new Int32Array(256);
  for (let f = 0; f < cols; f++) {
    counts.fill(0);
    const out = bins.subarray(f * rows, (f + 1) * rows);
    for (let r = 0; r < rows; r++) counts[out[r]!]!++;
    let top = 0;
    for (let b = 1; b < 256; b++) if (counts[b]! > counts[top]!) top = b;
    if (counts[top]! >= SKIP_SHARE * rows) skipBin[f] = top;
  }
  return { rows, cols, bins, valueBins, skipBin };
}

const BIN_BLOCK = 2048;

/** Values of column f of a block's n rows into out[to + r]: the missing bin k + 1 when not finite, else the lower bound. */
function binValues(values: Float64Array, f: number, cols: number, e: Float64Array, out: Uint8Array, to: number, n: number): void {
  const k = e.length;
  for (let r = 0, at = f; r < n; r++, at += cols) {
    const x = Math.fround(values[at]!);
    if (x - x !== 0) {
      out[to + r] = k + 1;
      continue;
    }
    // Lower bound (the first edge ≥ x), branch-free: random values defeat the branch predictor.
    let base = 0;
    for (let n = k; n > 1;) {
      const half = n >>> 1;
      base += Number(e[base + half]! < x) * half;
      n -= half;
    }
    out[to + r] = k === 0 ? 0 : base + Number(e[base]! < x);
  }
}

/** Category codes of column f of a block's n rows (from row `first`) into out[to + r]: code v → bin v, NaN → the missing bin c; anything else is refused. */
function binCodes(values: Float64Array, f: number, cols: number, c: number, out: Uint8Array, to: number, n: number, first: number): void {
  for (let r = 0, at = f; r < n; r++, at += cols) {
    const x = values[at]!;
    if (x !== x) {
      out[to + r] = c;
      continue;
    }
    if (!(x >= 0 && x < c && Math.floor(x) === x)) {
      throw new Error(`gbdt: categorical column ${f} (codes 0 … ${c - 1}) holds ${x} in row ${first + r}; encode categories as codes, NaN for missing`);
    }
    out[to + r] = x;
  }
}

/**
 * Sorts finite float32 values (held as float64) ascending, −0 before 0 as TypedArray sort does: an LSD radix
 * sort on their bits in two 16-bit passes, several times faster than a comparison sort on the sample.
 */
export function sortFloat32(values: Float64Array): Float64Array {
  const n = values.length;
  const f32 = Float32Array.from(values);
  const bits = new Uint32Array(f32.buffer);
  // Order-preserving keys: flip every bit of negatives, only the sign bit of the rest.
  for (let i = 0; i < n; i++) {
    const b = bits[i]!;
    bits[i] = b & 0x80000000 ? ~b >>> 0 : (b | 0x80000000) >>> 0;
  }
  let from = bits;
  let to = new Uint32Array(n);
  const counts = new Int32Array(1 << 16);
  for (const shift of [0, 16]) {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[(from[i]! >>> shift) & 0xffff]!++;
    let at = 0;
    for (let d = 0; d < counts.length; d++) {
      const c = counts[d]!;
      counts[d] = at;
      at += c;
    }
    for (let i = 0; i < n; i++) {
      const key = from[i]!;
      to[counts[(key >>> shift) & 0xffff]!++] = key;
    }
    [from, to] = [to, from];
  }
  for (let i = 0; i < n; i++) {
    const k = from[i]!;
    from[i] = k & 0x80000000 ? (k & 0x7fffffff) >>> 0 : ~k >>> 0;
  }
  const sorted = new Float32Array(from.buffer);
  for (let i = 0; i < n; i++) values[i] = sorted[i]!;
  return values;
}

/** Edges for one column's sorted finite values. */
function edgesOf(sorted: Float64Array, maxBins: number): Float64Array {
  const edges: number[] = [];
  const n = sorted.length;
  let distinct = 0;
  for (let i = 0; i < n && distinct <= maxBins; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) distinct++;
  if (distinct <= maxBins) {
    for (let i = 1; i < n; i++) if (sorted[i] !== sorted[i - 1]) edges.push(midpoint32(sorted[i - 1]!, sorted[i]!));
    return Float64Array.from(edges);
  }
  // The interior quantiles j / maxBins: each bin ends right after one, at the midpoint to the next larger value.
  let previous = -Infinity;
  for (let j = 1; j < maxBins; j++) {
    const q = sorted[Math.round((j * (n - 1)) / maxBins)]!;
    if (q <= previous) continue;
    const next = sorted[countAtMost(sorted, q)];
    if (next === undefined) break;
    edges.push(midpoint32(q, next));
    previous = q;
  }
  return Float64Array.from(edges);
}

/** A float32 m with a ≤ m < b for float32 values a < b: a sends a left and b right. −0 is stored as 0. */
function midpoint32(a: number, b: number): number {
  let m = Math.fround((a + b) / 2);
  if (m >= b) m = a;
  return m === 0 ? 0 : m;
}

/** Ascending row indices: all rows, or a seeded sample of `size` without replacement (partial Fisher–Yates). */
function sampleRows(rows: number, size: number, seed: number): Int32Array {
  const all = new Int32Array(rows);
  for (let i = 0; i < rows; i++) all[i] = i;
  if (rows <= size) return all;
  const random = seededRandom(seed);
  for (let i = 0; i < size; i++) {
    const j = i + Math.floor(random() * (rows - i));
    const t = all[i]!;
    all[i] = all[j]!;
    all[j] = t;
  }
  return all.slice(0, size).sort();
}
