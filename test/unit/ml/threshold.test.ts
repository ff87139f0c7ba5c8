import { describe, expect, it } from 'vitest';
import { applyThreshold, chooseThreshold } from '../../../core/ml/threshold';

describe('cost-based threshold', () => {
  const labels = Int32Array.from([1, 0, 1, 0, 0, 1]);
  const proba = Float64Array.from([0.9, 0.8, 0.6, 0.4, 0.3, 0.2]);

  it('lowers the threshold when a missed positive costs five false alarms', () => {
    // mean cost per row (fp = 1, fn = 5) for t = none .9 .8 .6 .4 .3 .2: 15 10 11 6 7 8 3 (÷ 6)
    const choice = chooseThreshold(labels, proba, { fp: 1, fn: 5 });
    expect(choice).toMatchObject({ threshold: 0.2, tp: 3, fp: 3, tn: 0, fn: 0 });
    expect(choice.expectedCost).toBe(0.5);
    expect(choice.costAtHalf).toBe(1); // t = .5: TP 2, FP 1, FN 1 → (1 + 5) / 6
    expect(choice.calibratedOptimum).toBeCloseTo(1 / 6, 15);
  });

  it('raises it when false alarms are dear', () => {
    // fp = 10, fn = 1: none 3/6, .9 → 2/6, .8 → 12/6 …
    const choice = chooseThreshold(labels, proba, { fp: 10, fn: 1 });
    expect(choice.threshold).toBe(0.9);
    expect(choice.expectedCost).toBeCloseTo(2 / 6, 15);
  });

  it('counts a benefit for true positives', () => {
    // fp = 1, fn = 1, tp = −2: t = .2 → (3·−2 + 3) / 6 = −0.5
    const choice = chooseThreshold(labels, proba, { fp: 1, fn: 1, tp: -2 });
    expect(choice.threshold).toBe(0.2);
    expect(choice.expectedCost).toBe(-0.5);
  });

  it('predicts nothing positive (threshold 1) when that is cheapest, and prefers the higher threshold on ties', () => {
    const choice = chooseThreshold(Int32Array.from([1, 0]), Float64Array.from([0.5, 0.5]), { fp: 1, fn: 1 });
    expect(choice).toMatchObject({ threshold: 1, tp: 0, fp: 0, expectedCost: 0.5 });
  });

  it('applies a threshold as p ≥ t', () => {
    expect(Array.from(applyThreshold(proba, 0.6))).toEqual([1, 1, 1, 0, 0, 0]);
  });

  it('rejects non-finite costs and empty input', () => {
    expect(() => chooseThreshold(labels, proba, { fp: NaN, fn: 1 })).toThrow(/fp cost is NaN/);
    expect(() => chooseThreshold(new Int32Array(0), new Float64Array(0), { fp: 1, fn: 1 })).toThrow(/no validation rows/);
  });
});
