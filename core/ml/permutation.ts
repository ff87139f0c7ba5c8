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
