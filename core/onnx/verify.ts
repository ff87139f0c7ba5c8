// Checks that an exported graph reproduces the TypeScript model's predictions on real rows, in onnxruntime.
import type { FeatureColumn } from '../features/encode';
import { feedsFromColumns } from './feeds';
import { createOnnxScorer } from './score';
import { OUTPUT } from './signature';

const BATCH = 8192;

/**
 * Scores `rowsIdx` (all rows when omitted) and compares with `expected`: probabilities (rows × C, row-major)
 * for classifiers, values (rows × 1) for regressors. A value passes when |onnx − expected| ≤ tolerance ×
 * max(1, |expected|): absolute for probabilities, relative for large regression values, whose float32
 * output cannot be closer than its ulp. Throws naming the worst row otherwise.
 */
export async function verifyOnnx(
  bytes: Uint8Array,
  columns: FeatureColumn[],
  rowsIdx: Int32Array | undefined,
  expected: Float64Array,
  tolerance = 1e-5,
): Promise<{ maxAbsDiff: number; rows: number }> {
  const rows = rowsIdx ?? Int32Array.from({ length: columns[0]?.values.length ?? 0 }, (_, i) => i);
  if (rows.length === 0) throw new Error('verifyOnnx: no rows to verify');
  if (expected.length % rows.length !== 0) {
    throw new Error(`verifyOnnx: ${expected.length} expected values do not divide into ${rows.length} rows`);
  }
  const perRow = expected.length / rows.length;
  const scorer = await createOnnxScorer(bytes);
  try {
    const output = scorer.outputs.includes(OUTPUT.probabilities) ? OUTPUT.probabilities : OUTPUT.value;
    let maxAbsDiff = 0;
    let worst = { excess: 0, row: -1, col: -1, got: 0, want: 0 };
    for (let start = 0; start < rows.length; start += BATCH) {
      const batch = rows.subarray(start, Math.min(rows.length, start + BATCH));
      const got = (await scorer.score(feedsFromColumns(scorer.inputs, columns, batch)))[output];
      if (!(got instanceof Float32Array)) throw new Error(`verifyOnnx: the model has no float output "${output}"`);
      if (got.length !== batch.length * perRow) {
        throw new Error(`verifyOnnx: output "${output}" has ${got.length / batch.length} values per row, expected ${perRow}`);
      }
      for (let i = 0; i < got.length; i++) {
        const want = expected[start * perRow + i] ?? NaN;
        const g = got[i] ?? NaN;
        // NaN on either side counts as an infinite difference
        const diff = Number.isNaN(g - want) ? Infinity : Math.abs(g - want);
        const excess = diff / Math.max(1, Math.abs(want));
        maxAbsDiff = Math.max(maxAbsDiff, diff);
        if (excess > worst.excess) {
          const at = start + Math.floor(i / perRow);
          worst = { excess, row: rows[at] ?? at, col: i % perRow, got: g, want };
        }
      }
    }
    if (worst.excess > tolerance) {
      throw new Error(
        `ONNX model disagrees with the TypeScript model: max abs diff ${maxAbsDiff} > tolerance ${tolerance}; ` +
          `worst at row ${worst.row}, ${output}[${worst.col}]: onnx ${worst.got} vs expected ${worst.want}`,
      );
    }
    return { maxAbsDiff, rows: rows.length };
  } finally {
    await scorer.release();
  }
}
