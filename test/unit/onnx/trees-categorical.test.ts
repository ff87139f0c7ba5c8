import { createHash } from 'node:crypto';
import { onnx } from 'onnx-proto';
import { beforeAll, describe, expect, it } from 'vitest';
import { encode, encodeRow, fitEncodingPlan, type EncodingChoice } from '../../../core/features/encode';
import { fitGbdt, planCategories, predictGbdt } from '../../../core/ml/gbdt';
import type { GbdtModel } from '../../../core/ml/model';
import { feedsFromColumns, feedsFromRow } from '../../../core/onnx/feeds';
import { scoreOnnx } from '../../../core/onnx/score';
import { exportGbdtOnnx } from '../../../core/onnx/trees';
import { verifyOnnx } from '../../../core/onnx/verify';
import { categoricalData } from '../ml/categorical-fixtures';

// Training rows have missing tiers; test rows add an unseen shop, missing shops (null), "" and unseen tiers.
const data = categoricalData(6_000, 4_500);
const CHOICES: Record<string, EncodingChoice> = { shop: { encoding: 'category' }, amount: { encoding: 'passthrough' }, tier: { encoding: 'category' } };
const plan = fitEncodingPlan(data.columns, CHOICES, data.trainIdx);
const trainMatrix = encode(plan, data.columns, data.trainIdx);
const testMatrix = encode(plan, data.columns, data.testIdx);
const labels = Int32Array.from(data.trainIdx, (r) => data.labels[r]!);
const three = Int32Array.from(data.trainIdx, (r, i) => (data.labels[r]! + (i % 3 === 0 ? 1 : 0)) % 3);
const spend = Float64Array.from(data.trainIdx, (r, i) => 100 * data.labels[r]! + (i % 10));
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const fitBinary = (): Promise<GbdtModel> =>
  fitGbdt(trainMatrix, { labels, classes: ['no', 'yes'] }, { maxIter: 30, maxLeaves: 8 }, { categories: planCategories(plan) });

let binary: GbdtModel;
let multiclass: GbdtModel;
let regression: GbdtModel;
beforeAll(async () => {
  binary = await fitBinary();
  multiclass = await fitGbdt(trainMatrix, { labels: three, classes: ['a', 'b', 'c'] }, { maxIter: 15, maxLeaves: 8 }, { categories: planCategories(plan) });
  regression = await fitGbdt(trainMatrix, { targets: spend }, { maxIter: 20, maxLeaves: 8 }, { categories: planCategories(plan) });
});

describe('ONNX export of GBDTs with native categorical splits', () => {
  it('binary: onnxruntime agrees with TypeScript on every test row, unseen and missing categories included', async () => {
    expect(binary.trees.categorical.some((c) => c === 1)).toBe(true);
    const { bytes, signature } = exportGbdtOnnx(plan, binary, { name: 'shops', version: 1 });
    const expected = predictGbdt(binary, testMatrix);
    const { maxAbsDiff, rows } = await verifyOnnx(bytes, data.columns, data.testIdx, expected);
    expect(rows).toBe(1500);
    expect(maxAbsDiff).toBeLessThan(5e-7);
    const out = await scoreOnnx(bytes, feedsFromColumns(signature.inputs, data.columns, data.testIdx));
    const got = out.label as string[];
    for (let r = 0; r < rows; r++) expect(got[r]).toBe(expected[2 * r + 1]! > 0.5 ? 'yes' : 'no');
    // The odd rows are there: unseen and missing shops, "" and unseen tiers.
    const shops = data.columns[0]!.values as (string | null)[];
    const tiers = data.columns[2]!.values as (string | null)[];
    const test = Array.from(data.testIdx);
    expect(test.some((r) => shops[r] === 'brand-new-shop') && test.some((r) => shops[r] === null)).toBe(true);
    expect(test.some((r) => tiers[r] === '') && test.some((r) => tiers[r] === 'unheard-of')).toBe(true);
  });

  it('multiclass and regression agree too', async () => {
    const m = exportGbdtOnnx(plan, multiclass, { name: 'tiers', version: 1 });
    expect(m.signature.classes).toEqual(['a', 'b', 'c']);
    expect((await verifyOnnx(m.bytes, data.columns, data.testIdx, predictGbdt(multiclass, testMatrix))).maxAbsDiff).toBeLessThan(5e-7);
    const r = exportGbdtOnnx(plan, regression, { name: 'spend', version: 1 });
    const expected = predictGbdt(regression, testMatrix);
    expect((await verifyOnnx(r.bytes, data.columns, data.testIdx, expected, 1e-6)).rows).toBe(1500);
  });

  it('exports a split whose set holds only the missing values (one category per split) with the same routing', async () => {
    const model = await fitGbdt(
      trainMatrix,
      { labels, classes: ['no', 'yes'] },
      { maxIter: 20, maxLeaves: 4, maxCategoriesPerSplit: 1 },
      { categories: planCategories(plan) },
    );
    const f = model.trees;
    const missingOnly = Array.from(f.categorical).filter(
      (c, i) => c === 1 && f.missingLeft[i] === 1 && f.catBits.subarray(8 * i, 8 * i + 8).every((w) => w === 0),
    );
    expect(missingOnly.length).toBeGreaterThan(0);
    const { bytes } = exportGbdtOnnx(plan, model, { name: 'shops', version: 1 });
    expect((await verifyOnnx(bytes, data.columns, data.testIdx, predictGbdt(model, testMatrix))).maxAbsDiff).toBeLessThan(5e-7);
  });

  it('scores an online request with unseen, missing and empty categories like encodeRow + predictGbdt', async () => {
    const { bytes, signature } = exportGbdtOnnx(plan, binary, { name: 'shops', version: 1 });
    const requests: Record<string, unknown>[] = [
      { shop: 'shop07', amount: 0.3, tier: 'b' },
      { shop: 'never-seen', amount: '1.5', tier: null },
      { shop: null, amount: null, tier: '' },
      { shop: '', tier: 'zzz' },
      { amount: -2 },
    ];
    for (const row of requests) {
      const want = predictGbdt(binary, { rows: 1, cols: plan.width, values: encodeRow(plan, row) })[1]!;
      const got = (await scoreOnnx(bytes, feedsFromRow(signature.inputs, row))).probabilities as Float32Array;
      expect(Math.abs(got[1]! - want)).toBeLessThan(5e-7);
    }
  });

  it('declares string inputs for categories, ai.onnx.ml opset 5 and BRANCH_MEMBER nodes with NaN-terminated sets', () => {
    const { bytes, signature } = exportGbdtOnnx(plan, binary, { name: 'shops', version: 1 });
    expect(signature.inputs).toEqual([
      { name: 'shop', type: 'string', shape: [-1, 1] },
      { name: 'amount', type: 'float32', shape: [-1, 1] },
      { name: 'tier', type: 'string', shape: [-1, 1] },
    ]);
    expect(signature.opsets).toEqual({ 'ai.onnx': 17, 'ai.onnx.ml': 5 });
    const model = onnx.ModelProto.decode(bytes);
    const ensemble = model.graph!.node!.find((n) => n.opType === 'TreeEnsemble')!;
    const attribute = (name: string): onnx.IAttributeProto => ensemble.attribute!.find((a) => a.name === name)!;
    const modes = Array.from(attribute('nodes_modes').t!.rawData!);
    const members = attribute('membership_values').t!.doubleData!;
    const memberNodes = modes.filter((m) => m === 6).length;
    expect(memberNodes).toBeGreaterThan(0);
    expect(members.filter((x) => Number.isNaN(x))).toHaveLength(memberNodes);
    expect(Number.isNaN(members[members.length - 1]!)).toBe(true);
  });

  it('refuses set splits on a column the plan does not encode as category codes', () => {
    const asNumbers = { ...plan, columns: plan.columns.map((c) => (c.kind === 'category' ? { kind: 'passthrough' as const, input: c.input } : c)) };
    expect(() => exportGbdtOnnx(asNumbers, binary, { name: 'shops', version: 1 })).toThrow(
      /splits column 0 by a set of categories, but the plan does not encode it as category codes/,
    );
  });

  it('gives byte-identical models when retrained on the same data, spec and seed', async () => {
    const again = await fitBinary();
    expect(sha256(exportGbdtOnnx(plan, again, { name: 'shops', version: 1 }).bytes)).toBe(
      sha256(exportGbdtOnnx(plan, binary, { name: 'shops', version: 1 }).bytes),
    );
  });
});
