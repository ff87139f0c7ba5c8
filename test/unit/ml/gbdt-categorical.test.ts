import { describe, expect, it } from 'vitest';
import { encode, fitEncodingPlan, type EncodingChoice } from '../../../core/features/encode';
import { fitGbdt, planCategories, predictGbdt, type GbdtCheckpoint } from '../../../core/ml/gbdt';
import { rocAuc } from '../../../core/ml/metrics';
import { CAT_WORDS, type GbdtModel, type GbdtParams } from '../../../core/ml/model';
import { categoricalData, GOOD_SHOPS, SHOPS } from './categorical-fixtures';

// Test rows without unseen categories: those go right at every split, whichever side that is.
const data = categoricalData(12_000, 9_000, 5, false);
const NATIVE: Record<string, EncodingChoice> = { shop: { encoding: 'category' }, amount: { encoding: 'passthrough' }, tier: { encoding: 'category' } };
const ONEHOT: Record<string, EncodingChoice> = {
  shop: { encoding: 'onehot', topK: 20 },
  amount: { encoding: 'passthrough' },
  tier: { encoding: 'onehot', topK: 20 },
};
const PARAMS: Partial<GbdtParams> = { maxIter: 10, maxLeaves: 4, learningRate: 0.3 };
const labelsOf = (rows: Int32Array): Int32Array => Int32Array.from(rows, (r) => data.labels[r]!);
const positive = (proba: Float64Array): Float64Array => Float64Array.from({ length: proba.length / 2 }, (_, r) => proba[2 * r + 1]!);
const modelJson = (m: GbdtModel): string => JSON.stringify(m, (_, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v));

async function fitWith(choices: Record<string, EncodingChoice>, params = PARAMS, threads?: number): Promise<{ model: GbdtModel; auc: number }> {
  const plan = fitEncodingPlan(data.columns, choices, data.trainIdx);
  const model = await fitGbdt(encode(plan, data.columns, data.trainIdx), { labels: labelsOf(data.trainIdx), classes: ['0', '1'] }, params, {
    categories: planCategories(plan),
    ...(threads !== undefined ? { threads } : {}),
  });
  const auc = rocAuc(labelsOf(data.testIdx), positive(predictGbdt(model, encode(plan, data.columns, data.testIdx))));
  return { model, auc };
}

/** The codes of a categorical node's set. */
function setOf(m: GbdtModel, node: number): number[] {
  const codes: number[] = [];
  for (let c = 0; c < 32 * CAT_WORDS; c++) if ((m.trees.catBits[node * CAT_WORDS + (c >>> 5)]! >>> (c & 31)) & 1) codes.push(c);
  return codes;
}

describe('GBDT native categorical splits', () => {
  it('win where one-hot cannot: a partition of 40 categories is found in one split', async () => {
    const native = await fitWith(NATIVE);
    const onehot = await fitWith(ONEHOT);
    // The first split of the first tree is the partition itself: the 20 good shops on one side.
    const plan = fitEncodingPlan(data.columns, NATIVE, data.trainIdx);
    const shopCategories = (plan.columns[0] as { categories: string[] }).categories;
    expect(shopCategories).toEqual(SHOPS);
    expect(native.model.trees.feature[0]).toBe(0);
    expect(native.model.trees.categorical[0]).toBe(1);
    const left = setOf(native.model, 0).map((c) => shopCategories[c]!);
    const good = [...GOOD_SHOPS].sort();
    const bad = SHOPS.filter((s) => !GOOD_SHOPS.has(s));
    expect([good, bad]).toContainEqual(left.sort());
    // At equal trees and leaves, one-hot (top 20 + other) trails far behind.
    expect(native.auc).toBeGreaterThan(onehot.auc + 0.05);
    expect(native.auc).toBeGreaterThan(0.78);
  });

  it('learns what missing values say: a missing tier scores higher than every known tier', async () => {
    const plan = fitEncodingPlan(data.columns, NATIVE, data.trainIdx);
    const { model } = await fitWith(NATIVE, { maxIter: 40, maxLeaves: 8, learningRate: 0.2 });
    const rows = [null, 'a', 'b', 'c', 'd', 'e', 'f'].map((tier) =>
      encode(plan, [
        { name: 'shop', kind: 'categorical', values: ['shop01'] },
        { name: 'amount', kind: 'numeric', values: Float64Array.of(0) },
        { name: 'tier', kind: 'categorical', values: [tier] },
      ]),
    );
    const p = rows.map((m) => predictGbdt(model, m)[1]!);
    for (const q of p.slice(1)) expect(p[0]!).toBeGreaterThan(q);
  });

  it('routes missing codes by missingLeft and every code outside a node\'s set (unseen "other" included) right', async () => {
    const { model } = await fitWith(NATIVE);
    const f = model.trees;
    // Sets hold codes of their column only (the missing values go by missingLeft, not by a code).
    let checked = 0;
    for (let i = 0; i < f.feature.length; i++) {
      if (f.categorical[i] !== 1) continue;
      expect(setOf(model, i).every((c) => c < model.categories[f.feature[i]!]!)).toBe(true);
      checked++;
    }
    expect(checked).toBeGreaterThan(10);
    // Unseen shops take the "other" code, which no training row had: in no set, so right at every shop split.
    const other = model.categories[0]! - 1;
    for (let i = 0; i < f.feature.length; i++) if (f.categorical[i] === 1 && f.feature[i] === 0) expect(setOf(model, i)).not.toContain(other);
    const probe = (shop: number): number => predictGbdt(model, { rows: 1, cols: 3, values: Float64Array.of(shop, 0, 0) })[1]!;
    expect(probe(other)).toBe(probe(200));
    expect(probe(other)).toBe(probe(Infinity));
  });

  it('is deterministic whatever the thread count', async () => {
    const one = modelJson((await fitWith(NATIVE, PARAMS, 1)).model);
    expect(modelJson((await fitWith(NATIVE, PARAMS, 1)).model)).toBe(one);
    expect(modelJson((await fitWith(NATIVE, PARAMS, 2)).model)).toBe(one);
  });

  it('resumes from a JSON checkpoint to the uninterrupted model', async () => {
    const plan = fitEncodingPlan(data.columns, NATIVE, data.trainIdx);
    const matrix = encode(plan, data.columns, data.trainIdx);
    const target = { labels: labelsOf(data.trainIdx), classes: ['0', '1'] };
    const checkpoints: string[] = [];
    const full = await fitGbdt(matrix, target, PARAMS, { categories: planCategories(plan), onIteration: (c) => void checkpoints.push(JSON.stringify(c)) });
    const resumed = await fitGbdt(matrix, target, PARAMS, { categories: planCategories(plan), resume: JSON.parse(checkpoints[4]!) as GbdtCheckpoint });
    expect(modelJson(resumed)).toBe(modelJson(full));
    await expect(fitGbdt(matrix, target, PARAMS, { resume: JSON.parse(checkpoints[4]!) as GbdtCheckpoint })).rejects.toThrow(/other data/);
  });

  it('refuses codes that do not fit the declared categories, and bad category counts', async () => {
    const values = Float64Array.of(0, 1, 2, 5);
    const target = { labels: Int32Array.of(0, 1, 0, 1), classes: ['0', '1'] };
    await expect(fitGbdt({ rows: 4, cols: 1, values }, target, {}, { categories: [3] })).rejects.toThrow(
      /categorical column 0 \(codes 0 … 2\) holds 5 in row 3/,
    );
    await expect(fitGbdt({ rows: 4, cols: 1, values }, target, {}, { categories: [300] })).rejects.toThrow(/categories\[0\] is 300/);
    await expect(fitGbdt({ rows: 4, cols: 1, values }, target, {}, { categories: [3, 3] })).rejects.toThrow(/2 entries for 1 matrix columns/);
  });
});
