import { describe, expect, it } from 'vitest';
import { fitEncodingPlan } from '../../../core/features/encode';
import { encodeLinear } from '../../../core/features/encode-linear';
import { fitLinearPath, linearSearch, searchSubsample } from '../../../core/ml/linear-train';
import { mixedBinary as data } from './binary-fixtures';

const choices = { x: { encoding: 'standardize' as const }, c: { encoding: 'onehot' as const, topK: 20 } };

describe('searchSubsample', () => {
  const d = data();
  const rows = d.split.train;

  it('keeps every class share, in row order, the same for the same seed', () => {
    const sub = searchSubsample(rows, 1000, d, 42);
    expect(sub.length).toBe(1000);
    expect(Array.from(sub)).toEqual([...sub].sort((a, b) => a - b));
    expect(new Set(sub).size).toBe(1000);
    const share = (r: Int32Array): number => r.reduce((s, i) => s + d.labels[i]!, 0) / r.length;
    expect(Math.abs(share(sub) - share(rows))).toBeLessThan(0.001);
    expect(Array.from(searchSubsample(rows, 1000, d, 42))).toEqual(Array.from(sub));
    expect(Array.from(searchSubsample(rows, 1000, d, 43))).not.toEqual(Array.from(sub));
  });

  it('returns all rows when searchRows is null or not below their count', () => {
    expect(searchSubsample(rows, null, d, 1)).toBe(rows);
    expect(searchSubsample(rows, 3000, d, 1)).toBe(rows);
  });
});

describe('linearSearch', () => {
  it('scores each l2 of the grid as a fit of that l2 alone would', () => {
    const d = data();
    const grid = [0.01, 100, 1];
    const trial = linearSearch(() => grid, d, undefined);
    const plan = fitEncodingPlan(d.features, choices, d.split.train);
    const design = encodeLinear(plan, d.features, d.split.train);
    const validation = encodeLinear(plan, d.features, d.split.validation);
    for (const l2 of grid) {
      const alone = fitLinearPath('logistic', [l2], d, design, d.split.train)[0]!.predictDesign(validation).proba!;
      const fromPath = trial('logistic', l2, 0, choices, d.split.train, d.split.validation).predictions.proba!;
      let worst = 0;
      for (let i = 0; i < alone.length; i++) worst = Math.max(worst, Math.abs(alone[i]! - fromPath[i]!));
      // Coefficients are rounded to float32 for export: the same optimum gives probabilities within ~1e-7.
      expect(worst).toBeLessThan(1e-6);
    }
  });
});
