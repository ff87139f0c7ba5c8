import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { calibrate, fitIsotonic } from '../../../core/monitor/calibration';
import { estimatePerformance, realisedMetrics } from '../../../core/monitor/cbpe';
import { seededRandom } from '../../../core/random';

// scripts/reference/cbpe_reference.py (scikit-learn)
interface Reference {
  roc_auc: number;
  f1_at_0_5: number;
  accuracy_at_0_5: number;
  f1_at_0_3: number;
  accuracy_at_0_3: number;
  isotonic_scores: number[];
  isotonic_values: number[];
}
const ref = JSON.parse(readFileSync(path.join(__dirname, 'cbpe-reference.json'), 'utf8')) as Reference;
const N = 300;
const scores = Array.from({ length: N }, (_, i) => Math.floor((((i * 7919 + 1) % 10007) / 10007) * 50) / 50);
const labels = scores.map((s, i) => (((i * 4801 + 3) % 9973) / 9973 < s ** 1.5 ? 1 : 0));

describe('realised metrics and isotonic calibration', () => {
  it('match scikit-learn: roc_auc_score, f1_score, accuracy_score (ties in the scores)', () => {
    const at = (t: number) => realisedMetrics(scores, labels, t);
    expect(at(0.5).roc_auc).toBeCloseTo(ref.roc_auc, 12);
    expect(at(0.5).f1).toBeCloseTo(ref.f1_at_0_5, 12);
    expect(at(0.5).accuracy).toBeCloseTo(ref.accuracy_at_0_5, 12);
    expect(at(0.3).f1).toBeCloseTo(ref.f1_at_0_3, 12);
    expect(at(0.3).accuracy).toBeCloseTo(ref.accuracy_at_0_3, 12);
  });

  it('fits the calibrated values of IsotonicRegression at the training scores', () => {
    const map = fitIsotonic(scores, labels);
    const got = ref.isotonic_scores.map((s) => calibrate(map, s));
    got.forEach((v, i) => expect(v).toBeCloseTo(ref.isotonic_values[i]!, 12));
    expect(calibrate(map, -1)).toBe(map.y[0]);
    expect(calibrate(map, 2)).toBe(map.y[map.y.length - 1]);
  });
});

describe('CBPE', () => {
  /** n rows whose labels really are Bernoulli(true(s)): the model's scores are `s`. */
  function window(n: number, seed: number, truth: (s: number) => number) {
    const random = seededRandom(seed);
    const s = Array.from({ length: n }, () => random());
    return { s, y: s.map((x) => (random() < truth(x) ? 1 : 0)) };
  }

  it('estimates the realised metrics of calibrated scores within the interval, without labels', () => {
    let inside = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const w = window(500, seed, (s) => s);
      const e = estimatePerformance(w.s, { threshold: 0.5, calibration: null, seed });
      const real = realisedMetrics(w.s, w.y, 0.5);
      for (const k of ['accuracy', 'f1', 'roc_auc'] as const) {
        expect(Math.abs(e.estimated[k]! - real[k]!)).toBeLessThan(0.08);
        if (real[k]! >= e.interval[k]![0] && real[k]! <= e.interval[k]![1]) inside++;
      }
    }
    // 95% intervals: about 114 of 120 cover the realised value.
    expect(inside).toBeGreaterThanOrEqual(105);
  });

  it('needs calibration: miscalibrated scores are estimated wrongly raw and rightly through the isotonic map', () => {
    const truth = (s: number): number => s ** 4;
    const fit = window(5000, 99, truth);
    const map = fitIsotonic(fit.s, fit.y);
    const w = window(2000, 7, truth);
    const real = realisedMetrics(w.s, w.y, 0.5);
    const raw = estimatePerformance(w.s, { threshold: 0.5, calibration: null });
    const calibrated = estimatePerformance(w.s, { threshold: 0.5, calibration: map });
    expect(Math.abs(raw.estimated.accuracy! - real.accuracy!)).toBeGreaterThan(0.05);
    expect(Math.abs(calibrated.estimated.accuracy! - real.accuracy!)).toBeLessThan(0.02);
  });
});
