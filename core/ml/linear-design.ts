// The linear models' design matrix in the form that fits at ten million rows: dense (numeric, ordinal,
// passthrough) columns as float32, and each one-hot block as one column index per row, since exactly one column
// of a block is hot. Trees keep the row-major float64 `Matrix` (model.ts); the linear trainers, predictors,
// permutation importance and the ONNX check of the train stage use this form, with no dense copy of the one-hot part.
//
// Float32 loses nothing: the encoders round every numeric value to float32 (encode.ts), as the ONNX graph does.

export interface LinearDesign {
  rows: number;
  /** Model columns (the encoding plan's width): the coefficient layout the model and ONNX graph use. */
  width: number;
  /** Model-column position of each dense column, increasing. */
  denseCols: Int32Array;
  /** rows × denseCols.length, row-major. */
  dense: Float32Array;
  /** One-hot blocks, and the model column each starts at (increasing). */
  blocks: number;
  blockStarts: Int32Array;
  /** rows × blocks, row-major: the model column that is 1 in the block, or −1 when none is. */
  hot: Int32Array;
}

/** Rows processed as one unit: the sums of a pass are combined chunk by chunk, in chunk order. */
export const CHUNK_ROWS = 1 << 15;

/** Design arrays live in shared memory, so worker threads (linear-threads.ts) read them without a copy. */
export const sharedFloat32 = (n: number): Float32Array => new Float32Array(new SharedArrayBuffer(4 * n));
export const sharedInt32 = (n: number): Int32Array => new Int32Array(new SharedArrayBuffer(4 * n));

/** The rows `idx` of `design` (in that order), e.g. a seeded subsample for the search. */
export function designRows(design: LinearDesign, idx: Int32Array): LinearDesign {
  const nd = design.denseCols.length;
  const nb = design.blocks;
  const dense = sharedFloat32(idx.length * nd);
  const hot = sharedInt32(idx.length * nb);
  for (let i = 0; i < idx.length; i++) {
    const r = idx[i]!;
    if (!(r >= 0 && r < design.rows)) throw new Error(`designRows: row ${r} at position ${i} is outside the ${design.rows} rows of the design`);
    dense.set(design.dense.subarray(r * nd, r * nd + nd), i * nd);
    hot.set(design.hot.subarray(r * nb, r * nb + nb), i * nb);
  }
  return { ...design, rows: idx.length, dense, hot };
}

/** Throws unless the design's arrays match its shape and every dense value is finite (linear models need that). */
export function checkDesign(design: LinearDesign, what: string, allowEmpty = false): void {
  const { rows, width, denseCols, dense, blocks, hot, blockStarts } = design;
  if (blockStarts.length !== blocks) throw new Error(`${what}: ${blockStarts.length} block starts for ${blocks} one-hot blocks`);
  if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(width) || width < 0)
    throw new Error(`${what}: rows (${rows}) and width (${width}) must be non-negative integers`);
  if (rows === 0 && !allowEmpty) throw new Error(`${what}: the design is empty (0 rows); there is nothing to fit`);
  if (dense.length !== rows * denseCols.length) throw new Error(`${what}: ${dense.length} dense values for ${rows} rows × ${denseCols.length} dense columns`);
  if (hot.length !== rows * blocks) throw new Error(`${what}: ${hot.length} one-hot indices for ${rows} rows × ${blocks} blocks`);
  for (const c of denseCols) if (!(c >= 0 && c < width)) throw new Error(`${what}: dense column position ${c} is outside the width ${width}`);
  for (let i = 0; i < dense.length; i++) {
    if (!Number.isFinite(dense[i]!)) {
      const row = Math.floor(i / denseCols.length);
      throw new Error(
        `${what}: the design must be finite, but row ${row}, column ${denseCols[i - row * denseCols.length]} is ${dense[i]}; ` +
          'linear models need imputed numeric columns (standardize, not passthrough)',
      );
    }
  }
  for (let i = 0; i < hot.length; i++) {
    const c = hot[i]!;
    if (!(c >= -1 && c < width)) throw new Error(`${what}: one-hot index ${c} of row ${Math.floor(i / blocks)} is outside the width ${width}`);
  }
}

/** Raw scores of `k` coefficient rows (row-major k × width) plus intercepts, for rows [from, to): out is (to − from) × k. */
export function linearScores(design: LinearDesign, coefficients: Float64Array, intercepts: Float64Array, from: number, to: number, out: Float64Array): void {
  const { width, denseCols, dense, blocks, hot } = design;
  const nd = denseCols.length;
  const k = intercepts.length;
  // Coefficients of the dense columns gathered per class, so the inner loop reads them contiguously.
  const wd = new Float64Array(k * nd);
  for (let c = 0; c < k; c++) for (let j = 0; j < nd; j++) wd[c * nd + j] = coefficients[c * width + denseCols[j]!]!;
  for (let r = from; r < to; r++) {
    const o = r * nd;
    const oh = r * blocks;
    for (let c = 0; c < k; c++) {
      let z = intercepts[c]!;
      const w = c * nd;
      for (let j = 0; j < nd; j++) z += wd[w + j]! * dense[o + j]!;
      const base = c * width;
      for (let b = 0; b < blocks; b++) {
        const h = hot[oh + b]!;
        if (h >= 0) z += coefficients[base + h]!;
      }
      out[(r - from) * k + c] = z;
    }
  }
}
