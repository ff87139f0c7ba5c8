import { createHash } from 'node:crypto';
import { onnx } from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { encode, encodeRow, fitEncodingPlan } from '../../../core/features/encode';
import { feedsFromColumns, feedsFromRow } from '../../../core/onnx/feeds';
import { exportLinearOnnx } from '../../../core/onnx/linear';
import { scoreOnnx } from '../../../core/onnx/score';
import { verifyOnnx } from '../../../core/onnx/verify';
import type { LinearModel } from '../../../core/ml/model';
import { binaryModel, CHOICES, churnColumns, multinomialModel, referencePredictions, ridgeModel } from './linear-fixtures';

const { columns, trainIdx, testIdx } = churnColumns(3000, 2000);
const plan = fitEncodingPlan(columns, CHOICES, trainIdx);
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('ONNX export of encoders + linear model', () => {
  it('binary logistic: onnxruntime returns [1 − p, p] per row and matches TypeScript within 1e-5', async () => {
    const model = binaryModel(plan.width);
    const { bytes, signature } = exportLinearOnnx(plan, model, { name: 'churn', version: 1 });
    const expected = referencePredictions(model, encode(plan, columns, testIdx));
    const { maxAbsDiff, rows } = await verifyOnnx(bytes, columns, testIdx, expected);
    expect(rows).toBe(1000);
    expect(maxAbsDiff).toBeLessThan(1e-5);

    const out = await scoreOnnx(bytes, feedsFromColumns(signature.inputs, columns, testIdx));
    const probs = out.probabilities as Float32Array;
    const labels = out.label as string[];
    expect(probs).toHaveLength(2 * 1000);
    for (let r = 0; r < 1000; r++) {
      const p = probs[2 * r + 1] ?? NaN;
      expect((probs[2 * r] ?? NaN) + p).toBeCloseTo(1, 6);
      expect(labels[r]).toBe(p > 0.5 ? 'yes' : 'no');
    }
    expect(new Set(labels)).toEqual(new Set(['no', 'yes']));
  });

  it('an ordinal encoding with a user order gives the same codes in the graph as in TypeScript', async () => {
    const ordered = fitEncodingPlan(columns, { ...CHOICES, size: { encoding: 'ordinal', order: ['S', 'M', 'L', 'XL'] } }, trainIdx);
    expect(ordered.columns.find((c) => c.input === 'size')).toMatchObject({ categories: ['S', 'M', 'L', 'XL'] });
    const model = binaryModel(ordered.width);
    const { bytes } = exportLinearOnnx(ordered, model, { name: 'churn', version: 1 });
    const { maxAbsDiff } = await verifyOnnx(bytes, columns, testIdx, referencePredictions(model, encode(ordered, columns, testIdx)));
    expect(maxAbsDiff).toBeLessThan(1e-5);
    // Not the alphabetical codes: the two plans encode the size column differently.
    expect([...encode(ordered, columns, testIdx).values]).not.toEqual([...encode(plan, columns, testIdx).values]);
  });

  it('multinomial logistic (3 classes): softmax probabilities in model.classes order match TypeScript', async () => {
    const model = multinomialModel(plan.width);
    const { bytes, signature } = exportLinearOnnx(plan, model, { name: 'tier', version: 3 });
    expect(signature.classes).toEqual(['high', 'low', 'mid']);
    const expected = referencePredictions(model, encode(plan, columns, testIdx));
    expect((await verifyOnnx(bytes, columns, testIdx, expected)).maxAbsDiff).toBeLessThan(1e-5);

    const out = await scoreOnnx(bytes, feedsFromColumns(signature.inputs, columns, testIdx));
    const labels = out.label as string[];
    for (let r = 0; r < 1000; r++) {
      const row = [0, 1, 2].map((k) => expected[3 * r + k] ?? 0);
      expect(labels[r]).toBe(['high', 'low', 'mid'][row.indexOf(Math.max(...row))]);
    }
  });

  it('ridge regression: value [N, 1] matches TypeScript within 1e-5 (relative beyond |value| 1, as float32 allows)', async () => {
    const model = ridgeModel(plan.width);
    const { bytes, signature } = exportLinearOnnx(plan, model, { name: 'spend', version: 1 });
    expect(signature.outputs).toEqual([{ name: 'value', type: 'float32', shape: [-1, 1] }]);
    const train = referencePredictions(model, encode(plan, columns, trainIdx));
    expect((await verifyOnnx(bytes, columns, trainIdx, train)).maxAbsDiff).toBeLessThan(1e-5);
    // Test rows include income 123,456,789 (≈ 13,700 standard deviations): a value near 1e5 whose float32 ulp
    // is 0.0078, so only the relative check can hold there.
    const test = referencePredictions(model, encode(plan, columns, testIdx));
    expect(Math.max(...test.map(Math.abs))).toBeGreaterThan(1e4);
    const { maxAbsDiff } = await verifyOnnx(bytes, columns, testIdx, test);
    expect(maxAbsDiff).toBeLessThan(1e-5 * Math.max(...test.map(Math.abs)));
  });

  it('feeds its linear model exactly the matrix encode() builds, bit for bit', async () => {
    // A ridge model that picks out matrix column j returns that column as the graph computed it.
    const x = encode(plan, columns, testIdx);
    for (let j = 0; j < plan.width; j++) {
      const coefficients = Float64Array.from({ length: plan.width }, (_, k) => (k === j ? 1 : 0));
      const pick: LinearModel = { kind: 'ridge', coefficients, intercept: 0, width: plan.width, params: { l2: 0 } };
      const { bytes, signature } = exportLinearOnnx(plan, pick, { name: 'pick', version: 1 });
      const got = (await scoreOnnx(bytes, feedsFromColumns(signature.inputs, columns, testIdx))).value as Float32Array;
      const want = Float64Array.from({ length: x.rows }, (_, r) => x.values[r * x.cols + j] ?? NaN);
      expect(Float64Array.from(got)).toEqual(want);
    }
  });

  it('scores an online request (numbers, numeric strings, nulls, unknowns) like encodeRow', async () => {
    const model = multinomialModel(plan.width);
    const { bytes, signature } = exportLinearOnnx(plan, model, { name: 'tier', version: 3 });
    const requests: Record<string, unknown>[] = [
      { age: '37.5', income: 61000, plan: 'pro', size: 'M' },
      { age: null, income: ' 48000 ', plan: null, size: undefined },
      { income: 'Infinity', plan: 'unheard-of', size: 'XXL' },
      { age: 22, income: 1e39, plan: '', size: '' },
    ];
    for (const request of requests) {
      const x = encodeRow(plan, request);
      const expected = referencePredictions(model, { rows: 1, cols: plan.width, values: x });
      const got = (await scoreOnnx(bytes, feedsFromRow(signature.inputs, request))).probabilities as Float32Array;
      [0, 1, 2].forEach((k) => expect(Math.abs((got[k] ?? NaN) - (expected[k] ?? NaN))).toBeLessThan(1e-5));
    }
  });

  it('signature lists one input per raw column and the outputs', () => {
    const { signature } = exportLinearOnnx(plan, binaryModel(plan.width), { name: 'churn', version: 1 });
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
  });

  it('declares the IR version and opsets of its signature, and onnxruntime loads it at them', async () => {
    const { bytes, signature } = exportLinearOnnx(plan, ridgeModel(plan.width), { name: 'spend', version: 7, producer: 'test' });
    const decoded = onnx.ModelProto.decode(bytes);
    expect(Number(decoded.irVersion)).toBe(signature.irVersion);
    expect(decoded.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([
      ['', signature.opsets['ai.onnx']],
      ['ai.onnx.ml', signature.opsets['ai.onnx.ml']],
    ]);
    expect(decoded.producerName).toBe('test');
    expect(Number(decoded.modelVersion)).toBe(7);
    expect(decoded.graph?.input?.map((i) => i.name)).toEqual(['age', 'income', 'plan', 'size']);
    const ops = decoded.graph?.node?.map((n) => `${n.domain}:${n.opType}`) ?? [];
    expect(ops).toContain('ai.onnx.ml:OneHotEncoder');
    expect(ops).toContain('ai.onnx.ml:LabelEncoder');
    expect(ops.at(-1)).toBe('ai.onnx.ml:LinearRegressor');
    const out = await scoreOnnx(bytes, feedsFromColumns(signature.inputs, columns, Int32Array.of(0, 1)));
    expect(out.value).toHaveLength(2);
  });

  it('gives byte-identical models for identical inputs', () => {
    const again = churnColumns(3000, 2000);
    const plan2 = fitEncodingPlan(again.columns, CHOICES, again.trainIdx);
    for (const make of [binaryModel, multinomialModel, ridgeModel]) {
      const a = exportLinearOnnx(plan, make(plan.width), { name: 'm', version: 1 }).bytes;
      const b = exportLinearOnnx(plan2, make(plan2.width), { name: 'm', version: 1 }).bytes;
      expect(sha256(a)).toBe(sha256(b));
      expect(sha256(exportLinearOnnx(plan, make(plan.width), { name: 'm', version: 2 }).bytes)).not.toBe(sha256(a));
    }
  });

  it('verifyOnnx throws naming the max abs diff and the row when expectations are wrong', async () => {
    const model = binaryModel(plan.width);
    const { bytes } = exportLinearOnnx(plan, model, { name: 'churn', version: 1 });
    const expected = referencePredictions(model, encode(plan, columns, testIdx));
    expected[2 * 17 + 1] = (expected[2 * 17 + 1] ?? 0) + 0.01;
    await expect(verifyOnnx(bytes, columns, testIdx, expected)).rejects.toThrow(/max abs diff 0\.0100\d*.*row 2017, probabilities\[1\]/);
    await expect(verifyOnnx(bytes, columns, testIdx, expected.subarray(0, 999))).rejects.toThrow(/do not divide/);
  });

  it('rejects a model and plan that do not fit together', () => {
    expect(() => exportLinearOnnx(plan, binaryModel(plan.width + 1), { name: 'churn', version: 1 })).toThrow(/width .* plan/);
    const bad = { ...multinomialModel(plan.width), intercepts: Float64Array.of(0, 0) };
    expect(() => exportLinearOnnx(plan, bad, { name: 'tier', version: 1 })).toThrow(/3 classes need 3 intercepts/);
    const clash = { ...plan, columns: plan.columns.map((c, i) => (i === 0 ? { ...c, input: 'value' } : c)) };
    expect(() => exportLinearOnnx(clash, ridgeModel(plan.width), { name: 'spend', version: 1 })).toThrow(/column "value"/);
  });
});
