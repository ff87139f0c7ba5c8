import { describe, expect, it } from 'vitest';
import { permutationImportance, sampleRows, subsetColumns } from '../../../core/ml/permutation';
import type { DataColumn } from '../../../core/data/columns';

describe('permutation importance on a bounded sample', () => {
  const rows = Int32Array.from({ length: 5000 }, (_, i) => 3 * i + 1);

  it('keeps every row when there are no more than the bound', () => {
    expect(sampleRows(rows, 5000, 1)).toBe(rows);
  });

  it('draws a seeded, sorted sample of distinct rows of the given size', () => {
    const a = sampleRows(rows, 700, 42);
    expect(a.length).toBe(700);
    expect(new Set(a).size).toBe(700);
    for (const r of a) expect(r % 3).toBe(1);
    for (let k = 1; k < a.length; k++) expect(a[k]!).toBeGreaterThan(a[k - 1]!);
    expect([...sampleRows(rows, 700, 42)]).toEqual([...a]);
    expect([...sampleRows(rows, 700, 43)]).not.toEqual([...a]);
    // Spread over the whole range, not a prefix.
    expect(a[a.length - 1]!).toBeGreaterThan(rows[4000]!);
  });

  it('gives the same importances on sampled columns as on the full columns over the same rows', () => {
    const n = 300;
    const x: DataColumn = { name: 'x', kind: 'numeric', values: Float64Array.from({ length: n }, (_, i) => i % 17) };
    const c: DataColumn = { name: 'c', kind: 'categorical', values: Array.from({ length: n }, (_, i) => (i % 3 === 0 ? null : `k${i % 5}`)) };
    const test = Int32Array.from({ length: 120 }, (_, i) => 2 * i + 7);
    // A "model" that reads x and c at the test rows: the score is the mean of x plus 1 per category k1.
    const scoreAt = (cols: DataColumn[], at: Int32Array): number => {
      const [xs, cs] = cols as [Extract<DataColumn, { kind: 'numeric' }>, Extract<DataColumn, { kind: 'categorical' }>];
      let s = 0;
      at.forEach((r, k) => (s += xs.values[r]! * (k % 7) + (cs.values[r] === 'k1' ? k % 5 : 0)));
      return s;
    };
    const full = permutationImportance([x, c], test, (cols) => scoreAt(cols, test), false, 9);
    const sub = subsetColumns([x, c], test);
    const local = Int32Array.from(test, (_, k) => k);
    expect(permutationImportance(sub, local, (cols) => scoreAt(cols, local), false, 9)).toEqual(full);
    expect(full.x).not.toBe(0);
  });
});
