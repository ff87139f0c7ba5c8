import { describe, expect, it } from 'vitest';
import { binaryCurve, calibrationBins, evaluationReport } from '../../../core/ml/evaluation-report';
import { averagePrecision, rocAuc } from '../../../core/ml/metrics';
import { seededRandom } from '../../../core/random';

function sample(n: number, seed: number): { labels: Int32Array; scores: Float64Array } {
  const rand = seededRandom(seed);
  const labels = new Int32Array(n);
  const scores = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = rand() < 0.4 ? 1 : 0;
    // Rounded so that many rows share a score (ties must share one curve point).
    scores[i] = Math.round(Math.min(1, Math.max(0, 0.3 * labels[i]! + 0.7 * rand())) * 50) / 50;
  }
  return { labels, scores };
}

describe('evaluation report', () => {
  it('draws a ROC curve whose area is the model AUC, and a PR curve whose step area is the average precision', () => {
    const { labels, scores } = sample(2_000, 7);
    const curve = binaryCurve(labels, scores, 10_000);
    let auc = 0;
    let ap = 0;
    for (let k = 1; k < curve.length; k++) {
      auc += ((curve[k]!.fpr - curve[k - 1]!.fpr) * (curve[k]!.tpr + curve[k - 1]!.tpr)) / 2;
      ap += (curve[k]!.recall - curve[k - 1]!.recall) * curve[k]!.precision;
    }
    expect(auc).toBeCloseTo(rocAuc(labels, scores), 10);
    expect(ap).toBeCloseTo(averagePrecision(labels, scores), 10);
    expect(curve.at(-1)).toMatchObject({ fpr: 1, tpr: 1 });
    expect(new Set(curve.slice(1).map((p) => p.threshold)).size).toBe(curve.length - 1);
  });

  it('thins a long curve to the requested number of points, keeping both ends', () => {
    const { labels, scores } = sample(5_000, 3);
    const jittered = scores.map((s, i) => s + i * 1e-9);
    const curve = binaryCurve(labels, jittered, 200);
    expect(curve).toHaveLength(200);
    expect(curve[0]).toMatchObject({ fpr: 0, tpr: 0 });
    expect(curve.at(-1)).toMatchObject({ fpr: 1, tpr: 1 });
  });

  it('bins calibration by predicted probability with the observed positive rate of each bin', () => {
    const labels = Int32Array.from([0, 0, 1, 1, 1, 0]);
    const scores = Float64Array.from([0.05, 0.15, 0.12, 0.95, 1, 0.99]);
    expect(calibrationBins(labels, scores)).toEqual([
      { bin: 0, meanPredicted: 0.05, observedRate: 0, count: 1 },
      { bin: 0.1, meanPredicted: 0.135, observedRate: 0.5, count: 2 },
      { bin: 0.9, meanPredicted: (0.95 + 1 + 0.99) / 3, observedRate: 2 / 3, count: 3 },
    ]);
  });

  it('keeps an even sample of test rows as residual points for regression', () => {
    const targets = Float64Array.from({ length: 3_000 }, (_, i) => i);
    const values = Float64Array.from({ length: 3_000 }, (_, i) => i + 1);
    const idx = Int32Array.from({ length: 1_500 }, (_, k) => k * 2);
    const report = evaluationReport({
      task: 'regression',
      classes: [],
      threshold: 0.5,
      labels: new Int32Array(0),
      targets,
      predictions: { values },
      idx,
      card: { metrics: { rmse: 1 }, slices: [], fairness: {} },
    });
    expect(report.residuals).toHaveLength(1_000);
    expect(report.residuals!.every((r) => r.predicted - r.actual === 1 && r.actual % 2 === 0)).toBe(true);
    expect(report.curve).toBeUndefined();
  });
});

describe('evaluation report of a multiclass model', () => {
  it('draws one one-vs-rest curve per class whose area is that class AUC', () => {
    const n = 900;
    const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
    const proba = new Float64Array(n * 3);
    for (let i = 0; i < n; i++) {
      const hit = 0.4 + ((i * 7919) % 50) / 100;
      for (let c = 0; c < 3; c++) proba[i * 3 + c] = c === labels[i] ? hit : (1 - hit) / 2;
    }
    const idx = Int32Array.from({ length: n }, (_, i) => i);
    const report = evaluationReport({
      task: 'multiclass',
      classes: ['a', 'b', 'c'],
      threshold: 0.5,
      labels,
      targets: new Float64Array(0),
      predictions: { proba },
      idx,
      card: { metrics: {}, slices: [], fairness: {} },
    });
    expect(report.classCurves!.map((c) => c.class)).toEqual(['a', 'b', 'c']);
    for (const [c, curve] of report.classCurves!.entries()) {
      const oneVsRest = Int32Array.from(labels, (y) => (y === c ? 1 : 0));
      const scores = Float64Array.from({ length: n }, (_, i) => proba[i * 3 + c]!);
      let auc = 0;
      for (let k = 1; k < curve.points.length; k++)
        auc += ((curve.points[k]!.fpr - curve.points[k - 1]!.fpr) * (curve.points[k]!.tpr + curve.points[k - 1]!.tpr)) / 2;
      expect(curve.points.length).toBeLessThanOrEqual(100);
      expect(auc).toBeCloseTo(rocAuc(oneVsRest, scores), 2);
    }
  });
});
