// Permutation importance on the test split: how much the primary metric worsens when one feature's values
// are shuffled among the test rows (seeded), re-encoded and re-scored with the final model.
import type { DataColumn } from '../data/columns';
import { seededRandom } from '../random';

/** `score(columns)` scores the model on the test rows given (possibly permuted) feature columns. */
export function permutationImportance(
  features: DataColumn[],
  testRows: Int32Array,
  score: (columns: DataColumn[]) => number,
  lowerIsBetter: boolean,
  seed: number,
): Record<string, number> {
  const baseline = score(features);
  const out: Record<string, number> = {};
  for (const [k, f] of features.entries()) {
    const random = seededRandom(seed + k);
    const order = Int32Array.from(testRows);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    let permuted: DataColumn;
    if (f.kind === 'numeric') {
      const values = Float64Array.from(f.values);
      for (let t = 0; t < testRows.length; t++) values[testRows[t]!] = f.values[order[t]!]!;
      permuted = { name: f.name, kind: 'numeric', values };
    } else {
      const values = f.values.slice();
      for (let t = 0; t < testRows.length; t++) values[testRows[t]!] = f.values[order[t]!] ?? null;
      permuted = { name: f.name, kind: 'categorical', values };
    }
    const s = score(features.map((c, i) => (i === k ? permuted : c)));
    out[f.name] = Number((lowerIsBetter ? s - baseline : baseline - s).toPrecision(6));
  }
  return out;
}

/**
 * A seeded sample of at most `max` of `rows`, in ascending order: permutation importance re-scores the model
 * once per feature, so its cost is bounded by the sample, not the test split.
 */
export function sampleRows(rows: Int32Array, max: number, seed: number): Int32Array {
  if (rows.length <= max) return rows;
  const pool = Int32Array.from(rows);
  const random = seededRandom(seed ^ 0x9e37);
  // A partial Fisher–Yates shuffle: the first `max` positions are a uniform sample without replacement.
  for (let i = 0; i < max; i++) {
    const j = i + Math.floor(random() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.subarray(0, max).sort();
}

/** The columns restricted to `rows` (in that order): row k of the result is row rows[k] of the input. */
export function subsetColumns(features: DataColumn[], rows: Int32Array): DataColumn[] {
  return features.map((f) =>
    f.kind === 'numeric'
      ? { name: f.name, kind: 'numeric', values: Float64Array.from(rows, (i) => f.values[i]!) }
      : { name: f.name, kind: 'categorical', values: Array.from(rows, (i) => f.values[i] ?? null) },
  );
}
