import { describe, expect, it } from 'vitest';
import { searchMetricFor, searchScore } from '../../../core/ml/search-metric';

const labels = Int32Array.from([0, 0, 1, 1, 1, 0]);
const p1 = [0.1, 0.6, 0.7, 0.4, 0.9, 0.2];
const proba = Float64Array.from(p1.flatMap((p) => [1 - p, p]));
const score = (metric: Parameters<typeof searchScore>[1], costs: { fp: number; fn: number } | null = null): number =>
  searchScore('binary', metric, 2, labels, new Float64Array(0), { proba }, costs);

describe('search metric', () => {
  it('defaults by task and rejects a metric of another task or expected_cost without costs', () => {
    expect(searchMetricFor('binary', undefined, null)).toBe('roc_auc');
    expect(searchMetricFor('multiclass', undefined, null)).toBe('log_loss');
    expect(searchMetricFor('regression', undefined, null)).toBe('rmse');
    expect(searchMetricFor('binary', 'average_precision', null)).toBe('average_precision');
    expect(() => searchMetricFor('regression', 'roc_auc', null)).toThrow(/training.metric "roc_auc" does not fit a regression task; use one of rmse, mae, r2/);
    expect(() => searchMetricFor('binary', 'expected_cost', null)).toThrow(/needs costs/);
  });

  it('scores binary predictions by the chosen metric (hand-computed)', () => {
    // At 0.5: predicted 0 1 1 0 1 0 → 4 of 6 right; tp 2, fp 1, fn 1 → f1 = 2/3.
    expect(score('accuracy')).toBeCloseTo(4 / 6, 12);
    expect(score('f1')).toBeCloseTo(2 / 3, 12);
    // Pairs (positive, negative) ranked right: 8 of 9.
    expect(score('roc_auc')).toBeCloseTo(8 / 9, 12);
    // Costs fp 1, fn 5: predicting positive from 0.4 up costs 1 fp (0.6) → 1/6 per row, the cheapest threshold.
    expect(score('expected_cost', { fp: 1, fn: 5 })).toBeCloseTo(1 / 6, 12);
  });

  it('scores regression by rmse, mae and r2', () => {
    const targets = Float64Array.from([1, 2, 3, 4]);
    const values = Float64Array.from([1, 2, 3, 6]);
    const r = (m: 'rmse' | 'mae' | 'r2'): number => searchScore('regression', m, 0, new Int32Array(0), targets, { values }, null);
    expect(r('rmse')).toBeCloseTo(1, 12);
    expect(r('mae')).toBeCloseTo(0.5, 12);
    expect(r('r2')).toBeCloseTo(1 - 4 / 5, 12);
  });
});
