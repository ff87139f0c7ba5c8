import { createHash } from 'node:crypto';
import { onnx } from 'onnx-proto';
import { beforeAll, describe, expect, it } from 'vitest';
import { encode, encodeRow, fitEncodingPlan, type EncodingChoice, type FeatureColumn } from '../../../core/features/encode';
import { fitGbdt, predictGbdt } from '../../../core/ml/gbdt';
import { GBDT_DEFAULTS } from '../../../core/ml/gbdt-params';
import type { EncodingPlan, GbdtModel } from '../../../core/ml/model';
import { feedsFromColumns, feedsFromRow } from '../../../core/onnx/feeds';
import { exportLinearOnnx } from '../../../core/onnx/linear';
import { scoreOnnx } from '../../../core/onnx/score';
import { exportGbdtOnnx } from '../../../core/onnx/trees';
import { verifyOnnx } from '../../../core/onnx/verify';
import { seededRandom } from '../../../core/random';
import { churnColumns, ridgeModel } from './linear-fixtures';

// The linear export's data: numeric age (5% NaN) and income, categorical plan and size; test rows add ±Infinity,
// NaN, 1e39 (Infinity in float32), 123 million, unknown categories, nulls and "".
const { columns, trainIdx, testIdx } = churnColumns(4000, 3000);
const CHOICES: Record<string, EncodingChoice> = {
  age: { encoding: 'passthrough' },
  income: { encoding: 'passthrough' },
  plan: { encoding: 'onehot', topK: 3 },
  size: { encoding: 'ordinal' },
};
const plan = fitEncodingPlan(columns, CHOICES, trainIdx);
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

const value = (name: string, r: number): number | string | null => {
  const c = columns.find((x) => x.name === name)!;
  return c.values[r] ?? null;
};
/** Labels by formula; a missing age is a strong signal of its own. */
function targetsOf(rows: Int32Array): { binary: Int32Array; three: Int32Array; spend: Float64Array } {
  const random = seededRandom(17);
  const binary = new Int32Array(rows.length);
  const three = new Int32Array(rows.length);
  const spend = new Float64Array(rows.length);
  rows.forEach((r, i) => {
    const age = value('age', r) as number;
    const income = value('income', r) as number;
    const p = value('plan', r);
    const s = Number.isFinite(age) ? (age - 40) / 12 + (p === 'pro' || p === 'team' ? 1 : -0.5) + Math.sin(income / 5000) : 2;
    binary[i] = random() < 1 / (1 + Math.exp(-2 * s)) ? 1 : 0;
    three[i] = s + 0.5 * (random() - 0.5) < -0.4 ? 0 : s < 0.6 ? 1 : 2;
    spend[i] = 100 * s + (value('size', r) === 'XL' ? 50 : 0) + 10 * random();
  });
  return { binary, three, spend };
}
const trainMatrix = encode(plan, columns, trainIdx);
const testMatrix = encode(plan, columns, testIdx);
const y = targetsOf(trainIdx);

let binary: GbdtModel;
let multiclass: GbdtModel;
let regression: GbdtModel;
beforeAll(async () => {
  binary = await fitGbdt(trainMatrix, { labels: y.binary, classes: ['no', 'yes'] }, { maxIter: 60 });
  multiclass = await fitGbdt(trainMatrix, { labels: y.three, classes: ['high', 'low', 'mid'] }, { maxIter: 40 });
  regression = await fitGbdt(trainMatrix, { targets: y.spend }, { maxIter: 60 });
});

describe('ONNX export of encoders + GBDT', () => {
  it('binary: onnxruntime returns [1 − p, p] and labels as TypeScript predicts, on rows with NaN, ±Infinity and unknowns', async () => {
    const { bytes, signature } = exportGbdtOnnx(plan, binary, { name: 'churn', version: 1 });
    const expected = predictGbdt(binary, testMatrix);
    const { maxAbsDiff, rows } = await verifyOnnx(bytes, columns, testIdx, expected);
    expect(rows).toBe(1000);
    // the same leaves summed: routing agrees on every row (a wrong leaf would cost ≥ 1e-3)
    expect(maxAbsDiff).toBeLessThan(5e-7);
    const out = await scoreOnnx(bytes, feedsFromColumns(signature.inputs, columns, testIdx));
    const labels = out.label as string[];
    for (let r = 0; r < 1000; r++) expect(labels[r]).toBe(expected[2 * r + 1]! > 0.5 ? 'yes' : 'no');
    expect(new Set(labels)).toEqual(new Set(['no', 'yes']));
  });

  it('routes rows sitting exactly on every split threshold, and one float32 step either side, as TypeScript does', async () => {
    // For every threshold on age or income (passthrough), rows at t, and at its float32 neighbours.
    const f = binary.trees;
    const probes: { age: number; income: number }[] = [];
    const step = (x: number, d: 1 | -1): number => {
      const b = Float32Array.of(x);
      const u = new Int32Array(b.buffer);
      u[0] = u[0]! + (x >= 0 ? d : -d);
      return b[0]!;
    };
    for (let i = 0; i < f.feature.length; i++) {
      const col = f.feature[i]!;
      if (col !== 0 && col !== 1) continue;
      const t = f.threshold[i]!;
      for (const x of [t, step(t, 1), step(t, -1)]) probes.push(col === 0 ? { age: x, income: 52_000 } : { age: 40, income: x });
    }
    expect(probes.length).toBeGreaterThan(100);
    const n = probes.length;
    const probeColumns: FeatureColumn[] = [
      { name: 'age', kind: 'numeric', values: Float64Array.from(probes, (p) => p.age) },
      { name: 'income', kind: 'numeric', values: Float64Array.from(probes, (p) => p.income) },
      { name: 'plan', kind: 'categorical', values: Array.from({ length: n }, (_, i) => ['pro', 'basic', null][i % 3]!) },
      { name: 'size', kind: 'categorical', values: Array.from({ length: n }, (_, i) => ['S', 'XL'][i % 2]!) },
    ];
    const { bytes } = exportGbdtOnnx(plan, binary, { name: 'churn', version: 1 });
    const { maxAbsDiff } = await verifyOnnx(bytes, probeColumns, undefined, predictGbdt(binary, encode(plan, probeColumns)));
    expect(maxAbsDiff).toBeLessThan(5e-7);
  });

  it('multiclass: softmax probabilities in model.classes order match TypeScript', async () => {
    const { bytes, signature } = exportGbdtOnnx(plan, multiclass, { name: 'tier', version: 2 });
    expect(signature.classes).toEqual(['high', 'low', 'mid']);
    const expected = predictGbdt(multiclass, testMatrix);
    expect((await verifyOnnx(bytes, columns, testIdx, expected)).maxAbsDiff).toBeLessThan(5e-7);
    const labels = (await scoreOnnx(bytes, feedsFromColumns(signature.inputs, columns, testIdx))).label as string[];
    for (let r = 0; r < 1000; r++) {
      const row = [0, 1, 2].map((k) => expected[3 * r + k]!);
      expect(labels[r]).toBe(['high', 'low', 'mid'][row.indexOf(Math.max(...row))]);
    }
  });

  it('regression: value [N, 1] is predictGbdt rounded to float32 (the trees sum in double)', async () => {
    const { bytes, signature } = exportGbdtOnnx(plan, regression, { name: 'spend', version: 1 });
    expect(signature.outputs).toEqual([{ name: 'value', type: 'float32', shape: [-1, 1] }]);
    expect(signature.classes).toBeUndefined();
    const expected = predictGbdt(regression, testMatrix);
    const scale = Math.max(...expected.map(Math.abs));
    expect(scale).toBeGreaterThan(100);
    // default tolerance: 1e-5, relative beyond |value| 1
    const { maxAbsDiff } = await verifyOnnx(bytes, columns, testIdx, expected);
    // no more than the float32 rounding of the output: half an ulp of the largest value (2^-24 relative)
    expect(maxAbsDiff).toBeLessThanOrEqual(scale * 2 ** -24 * 1.01);
  });

  it('scores an online request (numbers, numeric strings, nulls, ±Infinity, unknowns) like encodeRow + predictGbdt', async () => {
    const { bytes, signature } = exportGbdtOnnx(plan, multiclass, { name: 'tier', version: 1 });
    const requests: Record<string, unknown>[] = [
      { age: '37.5', income: 61000, plan: 'pro', size: 'M' },
      { age: null, income: ' 48000 ', plan: null, size: undefined },
      { age: '-Infinity', income: 'Infinity', plan: 'unheard-of', size: 'XXL' },
      { age: 22, income: 1e39, plan: '', size: '' },
    ];
    for (const request of requests) {
      const expected = predictGbdt(multiclass, { rows: 1, cols: plan.width, values: encodeRow(plan, request) });
      const got = (await scoreOnnx(bytes, feedsFromRow(signature.inputs, request))).probabilities as Float32Array;
      [0, 1, 2].forEach((k) => expect(Math.abs(got[k]! - expected[k]!)).toBeLessThan(5e-7));
    }
  });

  it('declares its signature, ai.onnx.ml opset 3 and BRANCH_LEQ trees that track missing values', () => {
    const { bytes, signature } = exportGbdtOnnx(plan, binary, { name: 'churn', version: 4, producer: 'test' });
    expect(signature).toEqual({
      inputs: [
        { name: 'age', type: 'float32', shape: [-1, 1] },
        { name: 'income', type: 'float32', shape: [-1, 1] },
        { name: 'plan', type: 'string', shape: [-1, 1] },
        { name: 'size', type: 'string', shape: [-1, 1] },
      ],
      outputs: [
        { name: 'label', type: 'string', shape: [-1] },
        { name: 'probabilities', type: 'float32', shape: [-1, 2] },
      ],
      classes: ['no', 'yes'],
      opsets: { 'ai.onnx': 17, 'ai.onnx.ml': 3 },
      irVersion: 8,
    });
    const decoded = onnx.ModelProto.decode(bytes);
    expect(decoded.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([
      ['', 17],
      ['ai.onnx.ml', 3],
    ]);
    const last = decoded.graph!.node!.at(-1)!;
    expect(`${last.domain}:${last.opType}`).toBe('ai.onnx.ml:TreeEnsembleClassifier');
    const a = new Map(last.attribute!.map((x) => [x.name, x]));
    const text = (name: string): string[] => a.get(name)!.strings!.map((s) => new TextDecoder().decode(s));
    expect(text('post_transform')).toEqual([]);
    expect(new TextDecoder().decode(a.get('post_transform')!.s!)).toBe('LOGISTIC');
    expect(new Set(text('nodes_modes'))).toEqual(new Set(['BRANCH_LEQ', 'LEAF']));
    expect(a.get('nodes_missing_value_tracks_true')!.ints!.map(Number)).toContain(1);
    expect(a.get('base_values')!.floats).toEqual([binary.baseScores[0]]);
    expect(new Set(a.get('class_ids')!.ints!.map(Number))).toEqual(new Set([0]));
    expect(text('classlabels_strings')).toEqual(['no', 'yes']);
  });

  it('gives byte-identical models for identical inputs', async () => {
    const again = await fitGbdt(trainMatrix, { labels: y.binary, classes: ['no', 'yes'] }, { maxIter: 60 });
    const a = exportGbdtOnnx(plan, binary, { name: 'm', version: 1 }).bytes;
    expect(sha256(exportGbdtOnnx(plan, again, { name: 'm', version: 1 }).bytes)).toBe(sha256(a));
    expect(sha256(exportGbdtOnnx(plan, binary, { name: 'm', version: 2 }).bytes)).not.toBe(sha256(a));
  });

  it('labels by p > 0.5 even when no leaf is negative (onnxruntime would otherwise compare the score with 0.5)', async () => {
    const x = Float64Array.of(0, 1, 2, NaN);
    const cols: FeatureColumn[] = [{ name: 'x', kind: 'numeric', values: x }];
    const p1 = fitEncodingPlan(cols, { x: { encoding: 'passthrough' } });
    const model: GbdtModel = {
      kind: 'gbdt',
      task: 'binary',
      classes: ['a', 'b'],
      width: 1,
      baseScores: Float64Array.of(0.125),
      trees: {
        treeStart: Int32Array.of(0, 3),
        treeClass: Int32Array.of(0),
        feature: Int32Array.of(0, -1, -1),
        threshold: Float64Array.of(1.5, 0, 0),
        missingLeft: Uint8Array.of(1, 0, 0),
        left: Int32Array.of(1, -1, -1),
        right: Int32Array.of(2, -1, -1),
        value: Float64Array.of(0, 0.25, 0.5),
        gain: Float64Array.of(1, 0, 0),
        count: Int32Array.of(4, 3, 1),
        categorical: new Uint8Array(3),
        catBits: new Uint32Array(3 * 8),
      },
      params: { ...GBDT_DEFAULTS },
      categories: new Int32Array(1),
      bestIteration: 1,
      iterations: 1,
    };
    const { bytes, signature } = exportGbdtOnnx(p1, model, { name: 'positive', version: 1 });
    const out = await scoreOnnx(bytes, feedsFromColumns(signature.inputs, cols));
    // scores 0.375, 0.375, 0.625, 0.375 (NaN goes left): every p > 0.5
    expect(out.label).toEqual(['b', 'b', 'b', 'b']);
    const expected = predictGbdt(model, encode(p1, cols));
    await verifyOnnx(bytes, cols, undefined, expected);
  });

  it('refuses models that do not fit the plan or are malformed, naming the rule', () => {
    const narrow: EncodingPlan = { columns: plan.columns.slice(0, 2), width: 2 };
    expect(() => exportGbdtOnnx(narrow, binary, { name: 'm', version: 1 })).toThrow(/the model has width 7 but the encoding plan 2/);
    const empty: GbdtModel = { ...binary, trees: { ...binary.trees, treeStart: Int32Array.of(0), treeClass: new Int32Array(0) } };
    expect(() => exportGbdtOnnx(plan, empty, { name: 'm', version: 1 })).toThrow('ONNX export of "m": the model has no trees');
    const off: GbdtModel = { ...binary, trees: { ...binary.trees, threshold: binary.trees.threshold.map((t) => (t === 0 ? 0 : t + 1e-9)) } };
    expect(() => exportGbdtOnnx(plan, off, { name: 'm', version: 1 })).toThrow(/is not a float32 value/);
  });
});

describe('passthrough encoding', () => {
  it('keeps numeric values as float32 and turns NaN, ±Infinity and values beyond float32 into NaN', () => {
    const x: FeatureColumn = { name: 'x', kind: 'numeric', values: Float64Array.of(0.1, -2.5, NaN, Infinity, -Infinity, 1e39, 123456789.123) };
    const p = fitEncodingPlan([x], { x: { encoding: 'passthrough' } }, Int32Array.of(0, 1));
    expect(p).toEqual({ columns: [{ kind: 'passthrough', input: 'x' }], width: 1 });
    expect(Array.from(encode(p, [x]).values)).toEqual([Math.fround(0.1), -2.5, NaN, NaN, NaN, NaN, Math.fround(123456789.123)]);
    expect(Array.from(encodeRow(p, { x: '0.1' }))).toEqual([Math.fround(0.1)]);
    expect(Array.from(encodeRow(p, { x: null }))).toEqual([NaN]);
    expect(Array.from(encodeRow(p, { x: '-Infinity' }))).toEqual([NaN]);
    expect(Array.from(encodeRow(p, {}))).toEqual([NaN]);
  });

  it('needs a numeric column with at least one value', () => {
    expect(() => fitEncodingPlan(columns, { plan: { encoding: 'passthrough' } })).toThrow(/"plan" is categorical: passthrough needs a numeric column/);
    const empty: FeatureColumn = { name: 'e', kind: 'numeric', values: Float64Array.of(NaN, Infinity) };
    expect(() => fitEncodingPlan([empty], { e: { encoding: 'passthrough' } })).toThrow(/no non-missing values/);
  });

  it('is refused by the linear export, whose model cannot take NaN', () => {
    expect(() => exportLinearOnnx(plan, ridgeModel(plan.width), { name: 'm', version: 1 })).toThrow(/"age" is encoded passthrough.*encode it with standardize/);
  });
});
