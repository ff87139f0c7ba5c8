import { describe, expect, it } from 'vitest';
import { fairnessReport } from '../../../core/ml/fairness';

describe('fairness report', () => {
  // a: y 1 1 0 0, p .9 .4 .6 .1 → predicted 1 0 1 0: positive rate .5, TPR .5, FPR .5, accuracy .5, AUC 3/4
  // b: y 1 0 0 0, p .8 .7 .6 .2 → predicted 1 1 1 0: positive rate .75, TPR 1, FPR 2/3, accuracy .5, AUC 1
  // c: y 1 1,     p .1 .2       → positive rate 0, TPR 0, no negatives, 2 rows (too small)
  // missing group: one row
  const groups = ['a', 'a', 'a', 'a', 'b', 'b', 'b', 'b', 'c', 'c', null];
  const labels = Int32Array.from([1, 1, 0, 0, 1, 0, 0, 0, 1, 1, 0]);
  const proba = Float64Array.from([0.9, 0.4, 0.6, 0.1, 0.8, 0.7, 0.6, 0.2, 0.1, 0.2, 0.9]);

  it('reports per-group metrics, the missing group last', () => {
    const report = fairnessReport(labels, proba, groups, { minGroupSize: 3 });
    expect(report.groups.map((g) => g.group)).toEqual(['a', 'b', 'c', null]);
    const [a, b, c, missing] = report.groups;
    expect(a).toEqual({ group: 'a', count: 4, share: 4 / 11, positiveRate: 0.5, tpr: 0.5, fpr: 0.5, auc: 0.75, accuracy: 0.5, tooSmall: false });
    expect(b).toMatchObject({ positiveRate: 0.75, tpr: 1, auc: 1, accuracy: 0.5, tooSmall: false });
    expect(b!.fpr).toBeCloseTo(2 / 3, 15);
    expect(c).toMatchObject({ count: 2, positiveRate: 0, tpr: 0, fpr: null, auc: null, accuracy: 0, tooSmall: true });
    expect(missing).toMatchObject({ count: 1, positiveRate: 1, tpr: null, fpr: 1, auc: null, tooSmall: true });
  });

  it('computes the gaps over the groups that are large enough only', () => {
    const report = fairnessReport(labels, proba, groups, { minGroupSize: 3 });
    expect(report.compared).toEqual(['a', 'b']);
    expect(report.demographicParityDifference).toBe(0.25); // .75 − .5 (c's 0 and null's 1 excluded)
    expect(report.equalOpportunityDifference).toBe(0.5); // 1 − .5
    expect(report.maxAucGap).toBe(0.25); // 1 − .75
  });

  it('gives null gaps when fewer than two groups can be compared', () => {
    const report = fairnessReport(labels, proba, groups, { minGroupSize: 5 });
    expect(report.compared).toEqual([]);
    expect(report.demographicParityDifference).toBeNull();
    expect(report.equalOpportunityDifference).toBeNull();
    expect(report.maxAucGap).toBeNull();
  });

  it('moves predictions with the threshold', () => {
    const report = fairnessReport(labels, proba, groups, { minGroupSize: 3, threshold: 0.65 });
    expect(report.groups[1]!.positiveRate).toBe(0.5); // b: .8 and .7
    expect(report.demographicParityDifference).toBe(0.25); // a: .9 only → .25
  });

  it('rejects columns of different lengths', () => {
    expect(() => fairnessReport(labels, proba, groups.slice(1))).toThrow(/11 labels, 11 probabilities and 10 group values/);
  });
});
