// A GBDT fitted on encoded rows read a block at a time (encodedRows) is the model fitted on the whole encoded
// matrix: same bin edges from the same sampled rows, same bins, same trees, resumed fits included.
import { describe, expect, it } from 'vitest';
import { encode, encodedRows, fitEncodingPlan, type FeatureColumn } from '../../../core/features/encode';
import { fitGbdt, planCategories, type GbdtCheckpoint } from '../../../core/ml/gbdt';
import type { GbdtModel, GbdtParams } from '../../../core/ml/model';
import { normalFrom, seededRandom } from '../../../core/random';

const N = 30_000;
const random = seededRandom(7);
const normal = normalFrom(random);
const cities = ['ams', 'ber', 'cph', 'dub', 'edi', 'fra'];
const columns: FeatureColumn[] = [
  { name: 'x', kind: 'numeric', values: Float64Array.from({ length: N }, () => (random() < 0.1 ? NaN : normal())) },
  { name: 'city', kind: 'categorical', values: Array.from({ length: N }, () => (random() < 0.05 ? null : cities[Math.floor(random() * cities.length)]!)) },
  { name: 'plan', kind: 'categorical', values: Array.from({ length: N }, () => (random() < 0.5 ? 'basic' : random() < 0.5 ? 'pro' : null)) },
];
const labelOf = (r: number): number => {
  const x = (columns[0]!.values as Float64Array)[r]!;
  const city = (columns[1]!.values as (string | null)[])[r];
  return (Number.isNaN(x) ? 0.3 : x) + (city === 'ber' || city === 'cph' ? 1 : 0) + 0.8 * normal() > 0.6 ? 1 : 0;
};
const labels = Int32Array.from({ length: N }, (_, r) => labelOf(r));
// Not every row, and not in blocks of the source: every row but each third one.
const rows = Int32Array.from({ length: N }, (_, i) => i).filter((r) => r % 3 !== 0);
const validRows = Int32Array.from({ length: N }, (_, i) => i).filter((r) => r % 3 === 0);
const plan = fitEncodingPlan(columns, { x: { encoding: 'passthrough' }, city: { encoding: 'category' }, plan: { encoding: 'onehot' } }, rows);
const target = { labels: Int32Array.from(rows, (r) => labels[r]!), classes: ['0', '1'] };
const validation = { matrix: encode(plan, columns, validRows), labels: Int32Array.from(validRows, (r) => labels[r]!) };
// A bin subsample below the row count: the edges come from gathered rows.
const params: Partial<GbdtParams> = { maxIter: 12, maxLeaves: 15, learningRate: 0.2, binSubsample: 5000, seed: 3 };
const modelJson = (m: GbdtModel): string => JSON.stringify(m, (_, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v));

describe('encodedRows', () => {
  it('gives the rows of encode(), by block and by gathered positions', () => {
    const whole = encode(plan, columns, rows);
    const source = encodedRows(plan, columns, rows);
    expect([source.rows, source.cols]).toEqual([whole.rows, whole.cols]);
    // A wide block, then a narrow one into the same buffer: the one-hot cells of the first must not linger.
    expect(Array.from(source.block(0, 4096))).toEqual(Array.from(whole.values.subarray(0, 4096 * whole.cols)));
    expect(Array.from(source.block(19_990, rows.length))).toEqual(Array.from(whole.values.subarray(19_990 * whole.cols)));
    const at = Int32Array.of(0, 5, 17, rows.length - 1);
    const gathered = source.gather(at);
    at.forEach((p, i) =>
      expect(Array.from(gathered.subarray(i * whole.cols, (i + 1) * whole.cols))).toEqual(
        Array.from(whole.values.subarray(p * whole.cols, (p + 1) * whole.cols)),
      ),
    );
  });
});

describe('fitGbdt on a row source', () => {
  it('fits the model the whole matrix gives, byte for byte', async () => {
    const opts = { categories: planCategories(plan), validation, threads: 2 };
    const fromMatrix = await fitGbdt(encode(plan, columns, rows), target, params, opts);
    const fromSource = await fitGbdt(encodedRows(plan, columns, rows), target, params, opts);
    expect(fromMatrix.trees.feature.length).toBeGreaterThan(12);
    expect(modelJson(fromSource)).toBe(modelJson(fromMatrix));
  });

  it('resumes from a checkpoint to the uninterrupted model', async () => {
    const checkpoints: string[] = [];
    const opts = { categories: planCategories(plan), validation };
    const full = await fitGbdt(encodedRows(plan, columns, rows), target, params, { ...opts, onIteration: (c) => void checkpoints.push(JSON.stringify(c)) });
    const resumed = await fitGbdt(encodedRows(plan, columns, rows), target, params, { ...opts, resume: JSON.parse(checkpoints[5]!) as GbdtCheckpoint });
    expect(modelJson(resumed)).toBe(modelJson(full));
  });
});
