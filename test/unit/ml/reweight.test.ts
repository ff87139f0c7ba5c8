import { describe, expect, it } from 'vitest';
import type { DataColumn } from '../../../core/data/columns';
import { fitGbdt, predictGbdt } from '../../../core/ml/gbdt';
import { domainWeights } from '../../../core/ml/reweight';
import { normalFrom, seededRandom } from '../../../core/random';

function training(rows: number, seed: number): DataColumn[] {
  const rnd = seededRandom(seed);
  const normal = normalFrom(rnd);
  return [
    { name: 'x', kind: 'numeric', values: Float64Array.from({ length: rows }, () => normal()) },
    { name: 'plan', kind: 'categorical', values: Array.from({ length: rows }, () => (rnd() < 0.5 ? 'basic' : 'pro')) },
  ];
}

function traffic(rows: number, seed: number, shift: number): Record<string, unknown>[] {
  const rnd = seededRandom(seed);
  const normal = normalFrom(rnd);
  return Array.from({ length: rows }, () => ({ x: normal() + shift, plan: rnd() < 0.5 ? 'basic' : 'pro', unrelated: 1 }));
}

describe('domain-classifier reweighting', () => {
  it('weighs training rows that look like shifted traffic more', () => {
    const features = training(4000, 1);
    const { weights, summary } = domainWeights(features, 4000, traffic(2000, 2, 1.5));
    const x = (features[0] as { values: Float64Array }).values;
    let high = 0;
    let low = 0;
    let nh = 0;
    let nl = 0;
    for (let i = 0; i < 4000; i++) {
      if (x[i]! > 1) ((high += weights[i]!), nh++);
      if (x[i]! < -1) ((low += weights[i]!), nl++);
    }
    expect(high / nh).toBeGreaterThan(3);
    expect(low / nl).toBeLessThan(0.3);
    expect(weights.reduce((a, b) => a + b, 0) / 4000).toBeCloseTo(1, 10);
    expect(summary.domainAuc).toBeGreaterThan(0.8);
    expect(summary.columns).toEqual(['x', 'plan']);
    expect(summary.maxWeight).toBeLessThanOrEqual(summary.clip * (4000 / summary.effectiveRows) * 10);
    expect(summary.effectiveRows).toBeLessThan(4000);
  });

  it('leaves weights near 1 when traffic looks like the training data', () => {
    const { weights, summary } = domainWeights(training(4000, 3), 4000, traffic(2000, 4, 0));
    expect(summary.domainAuc).toBeLessThan(0.56);
    expect(Math.max(...weights)).toBeLessThan(1.3);
    expect(Math.min(...weights)).toBeGreaterThan(0.75);
  });

  it('refuses traffic that carries none of the features', () => {
    expect(() => domainWeights(training(100, 5), 100, [{ other: 1 }])).toThrow(/carry none of the model's features \(x, plan\)/);
    expect(() => domainWeights(training(100, 5), 100, [])).toThrow(/no logged rows/);
  });
});

describe('weighted gradient boosting', () => {
  it('fits the weighted share of conflicting labels', async () => {
    // 200 identical rows, half labelled 1: with weight 3 on the positives the fitted rate is 3/4.
    const rows = 200;
    const matrix = { rows, cols: 1, values: new Float64Array(rows) };
    const labels = Int32Array.from({ length: rows }, (_, i) => (i % 2 === 0 ? 1 : 0));
    const sampleWeights = Float64Array.from(labels, (y) => (y === 1 ? 3 : 1));
    const params = { maxIter: 200, learningRate: 0.3, minSamplesLeaf: 1, l2: 0 };
    const unweighted = await fitGbdt(matrix, { labels, classes: ['0', '1'] }, params);
    const weighted = await fitGbdt(matrix, { labels, classes: ['0', '1'] }, params, { sampleWeights });
    expect(predictGbdt(unweighted, matrix)[1]).toBeCloseTo(0.5, 3);
    expect(predictGbdt(weighted, matrix)[1]).toBeCloseTo(0.75, 2);
  });

  it('rejects a weight per row that is missing or negative', async () => {
    const matrix = { rows: 2, cols: 1, values: Float64Array.of(0, 1) };
    await expect(fitGbdt(matrix, { labels: Int32Array.of(0, 1), classes: ['0', '1'] }, {}, { sampleWeights: Float64Array.of(1) })).rejects.toThrow(
      /1 sample weights for 2 rows/,
    );
    await expect(fitGbdt(matrix, { labels: Int32Array.of(0, 1), classes: ['0', '1'] }, {}, { sampleWeights: Float64Array.of(1, -1) })).rejects.toThrow(
      /weights must be finite and ≥ 0/,
    );
  });
});
