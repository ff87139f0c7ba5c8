import { describe, expect, it } from 'vitest';
import { DEFAULT_TOP_K, encode, encodeRow, fitEncodingPlan, type FeatureColumn } from '../../../core/features/encode';
import { CHOICES, churnColumns } from '../onnx/linear-fixtures';

const f32 = Math.fround;
const num = (name: string, values: number[]): FeatureColumn => ({ name, kind: 'numeric', values: Float64Array.from(values) });
const cat = (name: string, values: (string | null)[]): FeatureColumn => ({ name, kind: 'categorical', values });
const train = (n: number): Int32Array => Int32Array.from({ length: n }, (_, i) => i);

describe('fitEncodingPlan', () => {
  it('fits numeric columns on the training rows only: impute = mean of finite values, population std', () => {
    const x = num('x', [1, 2, 3, NaN, Infinity, 1000, -1000]);
    const plan = fitEncodingPlan([x], { x: { encoding: 'standardize' } }, train(5));
    expect(plan).toEqual({ columns: [{ kind: 'numeric', input: 'x', impute: 2, mean: 2, scale: Math.sqrt(2 / 3) }], width: 1 });
  });

  it('standardizes, imputing NaN and ±Infinity, rounded as the float32 graph computes', () => {
    const x = num('x', [1, 2, 3, NaN, Infinity, -Infinity, 100]);
    const plan = fitEncodingPlan([x], { x: { encoding: 'standardize' } }, train(4));
    const m = encode(plan, [x]);
    const z = (v: number): number => f32(f32(f32(v) - f32(2)) / f32(Math.sqrt(2 / 3)));
    expect([...m.values]).toEqual([z(1), 0, z(3), 0, 0, 0, z(100)]);
    expect(m.values[0]).toBeCloseTo(-1.224745, 6);
    expect({ rows: m.rows, cols: m.cols }).toEqual({ rows: 7, cols: 1 });
  });

  it('gives a constant column scale 1', () => {
    const x = num('x', [5, 5, 5, NaN]);
    const plan = fitEncodingPlan([x], { x: { encoding: 'standardize' } });
    expect(plan.columns[0]).toMatchObject({ mean: 5, scale: 1, impute: 5 });
    expect([...encode(plan, [x]).values]).toEqual([0, 0, 0, 0]);
  });

  it('one-hot keeps the top-k values by count (ties by value), sorted, with an other column', () => {
    const c = cat('c', ['d', 'a', 'c', 'b', 'a', 'c', 'b', 'a', null, '', 'z']);
    const plan = fitEncodingPlan([c], { c: { encoding: 'onehot', topK: 2 } }, train(10));
    expect(plan).toEqual({ columns: [{ kind: 'onehot', input: 'c', categories: ['a', 'b'], other: true }], width: 3 });
    const m = encode(plan, [c]);
    const rows = Array.from({ length: m.rows }, (_, r) => [...m.values.subarray(r * 3, r * 3 + 3)]);
    // d, c (not in the top 2), null, "" (missing) and z (never seen) all land in other
    expect(rows).toEqual([
      [0, 0, 1],
      [1, 0, 0],
      [0, 0, 1],
      [0, 1, 0],
      [1, 0, 0],
      [0, 0, 1],
      [0, 1, 0],
      [1, 0, 0],
      [0, 0, 1],
      [0, 0, 1],
      [0, 0, 1],
    ]);
  });

  it(`one-hot defaults to the top ${DEFAULT_TOP_K} values`, () => {
    const values = Array.from({ length: 30 }, (_, i) => `v${String(i).padStart(2, '0')}`);
    const plan = fitEncodingPlan([cat('c', [...values, ...values.slice(10)])], { c: { encoding: 'onehot' } });
    expect(plan.columns[0]).toMatchObject({ categories: values.slice(10) });
    expect(plan.width).toBe(DEFAULT_TOP_K + 1);
  });

  it('ordinal sorts the categories, imputes unknown and missing with the mean training index, then scales', () => {
    const c = cat('size', ['M', 'S', 'L', 'M', null, 'XXL', '']);
    const plan = fitEncodingPlan([c], { size: { encoding: 'ordinal' } }, train(5));
    // training indices (L=0, M=1, S=2): M S L M → 1 2 0 1, mean 1, population std sqrt(0.5)
    expect(plan).toEqual({
      columns: [{ kind: 'ordinal', input: 'size', categories: ['L', 'M', 'S'], impute: 1, mean: 1, scale: Math.sqrt(0.5) }],
      width: 1,
    });
    const s = f32(Math.sqrt(0.5));
    expect([...encode(plan, [c]).values]).toEqual([0, f32(1 / s), f32(-1 / s), 0, 0, 0, 0]);
  });

  it('ordinal follows a user order (S < M < L); values the order does not list count as unknown', () => {
    const c = cat('size', ['M', 'S', 'L', 'M', 'XL', null]);
    const plan = fitEncodingPlan([c], { size: { encoding: 'ordinal', order: ['S', 'M', 'L'] } }, train(5));
    // training indices S=0, M=1, L=2 over M S L M (XL is not listed): 1 0 2 1, mean 1, population std sqrt(0.5)
    expect(plan.columns[0]).toEqual({ kind: 'ordinal', input: 'size', categories: ['S', 'M', 'L'], impute: 1, mean: 1, scale: Math.sqrt(0.5) });
    const s = f32(Math.sqrt(0.5));
    expect([...encode(plan, [c]).values]).toEqual([0, f32(-1 / s), f32(1 / s), 0, 0, 0]);
    expect(() => fitEncodingPlan([c], { size: { encoding: 'ordinal', order: ['small', 'large'] } }, train(5))).toThrow(
      /none of the 5 training values is in the ordinal order/,
    );
    expect(() => fitEncodingPlan([c], { size: { encoding: 'onehot', order: ['S'] } })).toThrow(/an order only applies to the ordinal encoding/);
  });

  it('is deterministic and follows the column order, skipping columns without a choice', () => {
    const { columns, trainIdx } = churnColumns(500, 400);
    const a = fitEncodingPlan(columns, CHOICES, trainIdx);
    expect(fitEncodingPlan(columns, CHOICES, trainIdx)).toEqual(a);
    expect(a.columns.map((c) => `${c.input}:${c.kind}`)).toEqual(['age:numeric', 'income:numeric', 'plan:onehot', 'size:ordinal']);
    const partial = fitEncodingPlan(columns, { size: { encoding: 'ordinal' }, age: { encoding: 'standardize' } }, trainIdx);
    expect(partial.columns.map((c) => c.input)).toEqual(['age', 'size']);
  });
});

describe('encodeRow', () => {
  it('equals the matrix row for the same data, with numbers arriving as numbers or numeric strings', () => {
    const { columns, trainIdx, testIdx } = churnColumns(600, 400);
    const plan = fitEncodingPlan(columns, CHOICES, trainIdx);
    const m = encode(plan, columns, testIdx);
    testIdx.forEach((r, i) => {
      const request: Record<string, unknown> = {};
      for (const c of columns) {
        const v = c.values[r];
        request[c.name] = c.kind === 'numeric' ? (i % 2 === 0 ? v : String(v)) : v;
      }
      expect(encodeRow(plan, request)).toEqual(m.values.slice(i * m.cols, (i + 1) * m.cols));
    });
  });

  it('treats null, undefined and absent values as missing', () => {
    const plan = fitEncodingPlan([num('x', [1, 3]), cat('c', ['a', 'b'])], { x: { encoding: 'standardize' }, c: { encoding: 'onehot' } });
    expect([...encodeRow(plan, { x: null, c: undefined })]).toEqual([0, 0, 0, 1]);
    expect([...encodeRow(plan, {})]).toEqual([0, 0, 0, 1]);
    expect([...encodeRow(plan, { x: ' 3 ', c: 'b' })]).toEqual([1, 0, 1, 0]);
  });

  it('rejects a value that is not a number, naming the column', () => {
    const plan = fitEncodingPlan([num('age', [1, 3])], { age: { encoding: 'standardize' } });
    expect(() => encodeRow(plan, { age: 'forty' })).toThrow(/column "age": "forty" is not a number/);
    expect(() => encodeRow(plan, { age: { years: 40 } })).toThrow(/column "age"/);
  });
});

describe('bad input', () => {
  const columns = [num('age', [30, 40]), cat('plan', ['a', 'b'])];
  it('names a choice for a column that does not exist', () => {
    expect(() => fitEncodingPlan(columns, { tenure: { encoding: 'standardize' } })).toThrow(/column "tenure": no such column/);
  });
  it('names a categorical encoding asked of a numeric column, and the reverse', () => {
    expect(() => fitEncodingPlan(columns, { age: { encoding: 'onehot' } })).toThrow(/column "age" is numeric: onehot needs a categorical column/);
    expect(() => fitEncodingPlan(columns, { plan: { encoding: 'standardize' } })).toThrow(/column "plan" is categorical/);
  });
  it('names a column with no training values, a bad topK and a bad row index', () => {
    expect(() => fitEncodingPlan([num('x', [NaN, 1])], { x: { encoding: 'standardize' } }, Int32Array.of(0))).toThrow(/column "x" has no non-missing values/);
    expect(() => fitEncodingPlan(columns, { plan: { encoding: 'onehot', topK: 0 } })).toThrow(/column "plan": topK must be a positive integer/);
    expect(() => fitEncodingPlan(columns, { plan: { encoding: 'ordinal', topK: 3 } })).toThrow(/column "plan": topK only applies to the onehot/);
    expect(() => fitEncodingPlan(columns, { age: { encoding: 'standardize' } }, Int32Array.of(0, 2))).toThrow(/row index 2/);
  });
  it('names a column the plan needs but encode was not given, or of the wrong kind', () => {
    const plan = fitEncodingPlan(columns, { age: { encoding: 'standardize' }, plan: { encoding: 'onehot' } });
    expect(() => encode(plan, [columns[0] as FeatureColumn])).toThrow(/column "plan" required by the encoding plan is missing/);
    expect(() => encode(plan, [cat('age', ['1', '2']), columns[1] as FeatureColumn])).toThrow(/column "age" is categorical/);
  });
});
