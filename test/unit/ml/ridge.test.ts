import { describe, expect, it } from 'vitest';
import type { Matrix } from '../../../core/ml/model';
import { fitRidge, predictValue } from '../../../core/ml/ridge';

/** 30 × 3, y = 2·x0 − x1 + 0.5·x2 + 0.3·sin(3.3·i) + 1.5 (the same formula fed to sklearn). */
function data(): { matrix: Matrix; targets: Float64Array } {
  const n = 30;
  const d = 3;
  const values = new Float64Array(n * d);
  const targets = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) values[i * d + j] = Math.sin(0.41 * (i + 1) * (j + 1) + 0.2 * j) + 0.1 * Math.cos(1.3 * i);
    targets[i] = 2 * values[i * d]! - values[i * d + 1]! + 0.5 * values[i * d + 2]! + 0.3 * Math.sin(3.3 * i) + 1.5;
  }
  return { matrix: { rows: n, cols: d, values }, targets };
}

describe('ridge regression', () => {
  it('matches sklearn Ridge(alpha = l2) within 1e-8', () => {
    const { matrix, targets } = data();
    const model = fitRidge(matrix, targets, { l2: 0.7 });
    // sklearn 1.9.1: Ridge(alpha=0.7).fit(X, y).coef_, .intercept_
    const coef = [1.9137072879518182, -0.9540615613896303, 0.48409321452359144];
    for (let j = 0; j < 3; j++) expect(Math.abs(model.coefficients[j]! - coef[j]!)).toBeLessThan(1e-8);
    expect(Math.abs(model.intercept - 1.5048022944548571)).toBeLessThan(1e-8);
    expect(model).toMatchObject({ kind: 'ridge', width: 3, params: { l2: 0.7 } });
  });

  it('matches sklearn with sample weights', () => {
    const { matrix, targets } = data();
    const weights = Float64Array.from({ length: 30 }, (_, i) => 0.5 + (i % 4) * 0.25);
    const model = fitRidge(matrix, targets, { l2: 0.7, sampleWeights: weights });
    // Ridge(alpha=0.7).fit(X, y, sample_weight=0.5 + (i % 4) * 0.25)
    const coef = [1.8919056533035128, -0.9420151444146494, 0.46218411895695516];
    for (let j = 0; j < 3; j++) expect(Math.abs(model.coefficients[j]! - coef[j]!)).toBeLessThan(1e-8);
    expect(Math.abs(model.intercept - 1.494364384011202)).toBeLessThan(1e-8);
  });

  it('predicts intercept + coefficients · row', () => {
    const { matrix, targets } = data();
    const model = fitRidge(matrix, targets, { l2: 0.7 });
    const predicted = predictValue(model, matrix);
    for (let r = 0; r < 30; r++) {
      let v = model.intercept;
      for (let j = 0; j < 3; j++) v += model.coefficients[j]! * matrix.values[r * 3 + j]!;
      expect(predicted[r]).toBeCloseTo(v, 12);
    }
  });

  it('rejects non-finite values, mismatched targets and singular least squares', () => {
    const { matrix, targets } = data();
    const values = Float64Array.from(matrix.values);
    values[4] = Infinity;
    expect(() => fitRidge({ ...matrix, values }, targets)).toThrow(/matrix must be finite, but row 1, column 1 is Infinity/);
    expect(() => fitRidge(matrix, targets.subarray(1))).toThrow(/29 targets for 30 matrix rows/);
    expect(() => fitRidge({ rows: 0, cols: 3, values: new Float64Array(0) }, new Float64Array(0))).toThrow(/matrix is empty/);
    const collinear = new Float64Array(60);
    for (let r = 0; r < 30; r++) collinear[2 * r] = collinear[2 * r + 1] = r;
    expect(() => fitRidge({ rows: 30, cols: 2, values: collinear }, targets, { l2: 0 })).toThrow(/singular/);
  });
});
