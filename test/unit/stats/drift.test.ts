import { describe, expect, it } from 'vitest';
import { detectDrift } from '../../../core/stats/drift';
import type { DriftColumn, DriftOptions } from '../../../core/stats/drift';
import { expectRelClose, sample } from './reference';

/** `count` copies of each value, in order. */
function repeated<T>(...runs: [T, number][]): T[] {
  return runs.flatMap(([v, n]) => Array.from({ length: n }, () => v));
}

const numeric = (name: string, reference: Float64Array, current: Float64Array): DriftColumn => ({ name, kind: 'numeric', reference, current });
const categorical = (name: string, reference: (string | null)[], current: (string | null)[]): DriftColumn => ({
  name,
  kind: 'categorical',
  reference,
  current,
});

// Small reference (≤ 1000 rows): p-value tests.
const smallNumeric = numeric('amount', sample(300, 7919, 10007, 1), sample(217, 4801, 9973, 3, 0.35));
const cityReference = repeated<string | null>(['a', 50], ['b', 30], ['c', 20]);
const cityCurrent = repeated<string | null>(['a', 40], ['b', 35], ['c', 15], ['d', 10]);
const smallCategorical = categorical('city', cityReference, cityCurrent);
const smallBinary = categorical('churned', repeated(['no', 30], ['yes', 70]), repeated(['no', 45], ['yes', 55]));
const fewValues = numeric('rooms', Float64Array.from(repeated([0, 20], [1, 30], [2, 50])), Float64Array.from(repeated([0, 35], [1, 30], [2, 35])));
// Large reference (> 1000 rows): distances.
const largeNumeric = numeric('income', sample(1200, 7919, 10007, 1), sample(800, 4801, 9973, 3, 0.05));
const largeCategorical = categorical('plan', repeated(['a', 600], ['b', 400], ['c', 200]), repeated(['a', 300], ['b', 300], ['c', 400]));

function column(columns: DriftColumn[], opts: DriftOptions = {}, index = 0) {
  return detectDrift(columns, opts).columns[index]!;
}

describe('detectDrift: automatic method choice', () => {
  it('tests a numeric column with a small reference by KS (scipy.stats.ks_2samp)', () => {
    const c = column([smallNumeric]);
    expect(c).toMatchObject({ name: 'amount', type: 'numeric', method: 'ks', threshold: 0.05, drifted: true, referenceCount: 300, currentCount: 217 });
    expectRelClose(c.statistic, 0.34291858678955456, 1e-13);
    expectRelClose(c.pValue!, 1.1666763221068674e-13, 1e-12);
    expect(c.adjustedPValue).toBe(c.pValue);
  });

  it('tests a categorical column by chi-squared (scipy.stats.chi2_contingency, correction=False)', () => {
    const c = column([smallCategorical]);
    expect(c).toMatchObject({ type: 'categorical', method: 'chisquare', drifted: true, referenceCount: 100, currentCount: 100 });
    expectRelClose(c.statistic, 12.21001221001221, 1e-13);
    expectRelClose(c.pValue!, 0.006697303426989618, 1e-12);
  });

  it('tests a binary column by the two-proportion z-test (statsmodels proportions_ztest)', () => {
    const c = column([smallBinary]);
    expect(c).toMatchObject({ type: 'categorical', method: 'ztest', drifted: true });
    // proportions_ztest([45, 30], [100, 100]): share of "no" (the first category) in current vs reference
    expectRelClose(c.statistic, 2.1908902300206647, 1e-13);
    expectRelClose(c.pValue!, 0.02845973691631055, 1e-12);
  });

  it('treats a numeric column with at most 5 distinct values as categorical', () => {
    const c = column([fewValues]);
    expect(c).toMatchObject({ type: 'categorical', method: 'chisquare' });
    // chi2_contingency([[20, 30, 50], [35, 30, 35]], correction=False)
    expectRelClose(c.statistic, 6.737967914438502, 1e-13);
    expectRelClose(c.pValue!, 0.03442459644319108, 1e-12);
    const twoValues = numeric('flag', Float64Array.from(repeated([0, 30], [1, 70])), Float64Array.from(repeated([0, 45], [1, 55])));
    expect(column([twoValues]).method).toBe('ztest');
    const sixValues = numeric('dice', Float64Array.from([1, 2, 3, 4, 5, 6, 1, 2]), Float64Array.from([1, 2, 3, 4, 5, 5]));
    expect(column([sixValues])).toMatchObject({ type: 'numeric', method: 'ks' });
  });

  it('still uses p-value tests at exactly 1000 reference values', () => {
    const c = column([numeric('x', sample(1000, 7919, 10007, 1), sample(800, 4801, 9973, 3, 0.05))]);
    expect(c.method).toBe('ks');
    // scipy.stats.ks_2samp(sample(1000, ...), sample(800, ..., 0.05))
    expectRelClose(c.statistic, 0.0565, 1e-13);
    expectRelClose(c.pValue!, 0.11287672270952509, 1e-12);
    expect(c.drifted).toBe(false);
  });

  it('uses the normed Wasserstein distance for numeric columns with more than 1000 reference values', () => {
    const c = column([largeNumeric]);
    expect(c).toMatchObject({ type: 'numeric', method: 'wasserstein', pValue: null, adjustedPValue: null, threshold: 0.1, drifted: true });
    // scipy.stats.wasserstein_distance(a, b) / np.std(a)
    expectRelClose(c.statistic, 0.13033424305093824, 1e-13);
  });

  it('uses the Jensen–Shannon distance (base e, as Evidently) for categorical columns with more than 1000 reference values', () => {
    const c = column([largeCategorical]);
    expect(c).toMatchObject({ type: 'categorical', method: 'jensenshannon', pValue: null, threshold: 0.1, drifted: true });
    // scipy.spatial.distance.jensenshannon([600, 400, 200], [300, 300, 400]) (scripts/reference/jensen_shannon_reference.py)
    expectRelClose(c.statistic, 0.19447738301578255, 1e-14);
    // base=2
    expectRelClose(column([largeCategorical], { base: '2' }).statistic, 0.23359114274240173, 1e-14);
    expect(detectDrift([largeCategorical]).base).toBe('e');
  });

  it('says why auto chose each method', () => {
    const report = detectDrift([smallNumeric, smallCategorical, smallBinary, largeNumeric, largeCategorical]);
    expect(report.columns.map((c) => c.reason)).toEqual([
      'auto: reference of 300 values ≤ 1000, numeric → KS test',
      'auto: reference of 100 values ≤ 1000, categorical with 4 categories → chi-squared test',
      'auto: reference of 100 values ≤ 1000, categorical with 2 categories → two-proportion z-test',
      'auto: reference of 1200 values > 1000, numeric → normed Wasserstein distance',
      'auto: reference of 1200 values > 1000, categorical → Jensen–Shannon distance (base e)',
    ]);
  });

  it('decides by the smaller sample when asked (the monitor), so a large reference against a small window gets tests', () => {
    const window = numeric('income', sample(1200, 7919, 10007, 1), sample(400, 4801, 9973, 3, 0.05));
    expect(column([window])).toMatchObject({ method: 'wasserstein' });
    const c = column([window], { autoSizeOf: 'smaller' });
    expect(c).toMatchObject({ method: 'ks', reason: 'auto: smaller sample of 400 values ≤ 1000, numeric → KS test', threshold: 0.05 });
    expect(column([window], { autoSizeOf: 'smaller', autoTestMaxValues: 300 })).toMatchObject({ method: 'wasserstein' });
  });

  it('drops missing values (NaN, null) before counting and testing', () => {
    const withNaN = numeric(
      'amount',
      Float64Array.from([...sample(300, 7919, 10007, 1), NaN, NaN]),
      Float64Array.from([NaN, ...sample(217, 4801, 9973, 3, 0.35)]),
    );
    const c = column([withNaN]);
    expect(c).toMatchObject({ referenceCount: 300, currentCount: 217, method: 'ks' });
    expectRelClose(c.pValue!, 1.1666763221068674e-13, 1e-12);
    const withNull = categorical('city', [null, ...cityReference, null], cityCurrent);
    expect(column([withNull])).toMatchObject({ referenceCount: 100, statistic: column([smallCategorical]).statistic });
  });
});

describe('detectDrift: forced methods', () => {
  it('applies a forced numeric method only to numeric columns; the others fall back to auto', () => {
    const report = detectDrift([smallNumeric, smallCategorical, largeNumeric], { method: 'wasserstein' });
    expect(report.columns.map((c) => c.method)).toEqual(['wasserstein', 'chisquare', 'wasserstein']);
    const ks = detectDrift([largeNumeric, largeCategorical], { method: 'ks' });
    expect(ks.columns.map((c) => c.method)).toEqual(['ks', 'jensenshannon']);
  });

  it('applies ztest only to categorical columns with at most 2 categories', () => {
    const report = detectDrift([smallBinary, smallCategorical, smallNumeric, largeCategorical], { method: 'ztest' });
    expect(report.columns.map((c) => c.method)).toEqual(['ztest', 'chisquare', 'ks', 'jensenshannon']);
  });

  it('applies chisquare to categorical columns, including numeric ones with few values, even with large references', () => {
    const report = detectDrift([largeCategorical, fewValues, smallBinary, smallNumeric], { method: 'chisquare' });
    expect(report.columns.map((c) => c.method)).toEqual(['chisquare', 'chisquare', 'chisquare', 'ks']);
    // chi2_contingency([[600, 400, 200], [300, 300, 400]], correction=False) has df 2
    expect(report.columns[0]!.pValue).toBeLessThan(1e-10);
  });

  it('applies PSI and Jensen–Shannon to both kinds, binning numeric columns at 10 reference quantiles', () => {
    const psi = detectDrift([smallNumeric, smallCategorical], { method: 'psi' });
    expect(psi.columns.map((c) => [c.method, c.threshold, c.pValue])).toEqual([
      ['psi', 0.25, null],
      ['psi', 0.25, null],
    ]);
    // The NumPy PSI reference of psi.test.ts (same samples) and of the category counts [50,30,20,0] vs [40,35,15,10].
    expectRelClose(psi.columns[0]!.statistic, 1.1407885282212502, 1e-13);
    expectRelClose(psi.columns[1]!.statistic, 0.7344907451156885, 1e-13);
    const js = detectDrift([smallNumeric], { method: 'jensenshannon' });
    // jensenshannon(bin counts at reference deciles) in base e, and base=2
    expectRelClose(js.columns[0]!.statistic, 0.29843196975645925, 1e-14);
    expectRelClose(column([smallNumeric], { method: 'jensenshannon', base: '2' }).statistic, 0.3584533263727633, 1e-14);
  });

  it('uses custom distance thresholds, and per-test significance levels', () => {
    expect(column([largeNumeric], { thresholds: { wasserstein: 0.2 } })).toMatchObject({ threshold: 0.2, drifted: false });
    expect(column([smallNumeric], { method: 'psi', thresholds: { psi: 2 } })).toMatchObject({ threshold: 2, drifted: false });
    // chi-squared p ≈ 0.113: drift at a 0.2 level, not at the default 0.05
    expect(column([smallCategorical], { thresholds: { chisquare: 0.2 } })).toMatchObject({ threshold: 0.2, drifted: true });
  });

  it('lets a column override the method and threshold, and says so', () => {
    const report = detectDrift([smallNumeric, largeNumeric, smallCategorical], {
      method: 'psi',
      columnOverrides: { income: { method: 'ks', threshold: 0.01 }, city: { method: 'ks' } },
    });
    expect(report.columns.map((c) => [c.method, c.threshold, c.reason])).toEqual([
      ['psi', 0.25, 'chosen: psi'],
      ['ks', 0.01, 'column override: ks'],
      [
        'chisquare',
        0.05,
        'ks does not fit a categorical column with 4 categories; auto: reference of 100 values ≤ 1000, categorical with 4 categories → chi-squared test',
      ],
    ]);
  });
});

describe('detectDrift: corrections and dataset drift', () => {
  const mixed = [smallNumeric, smallCategorical, smallBinary, largeNumeric, fewValues];

  it('corrects only the p-value columns: bonferroni multiplies by their number', () => {
    const report = detectDrift(mixed, { correction: 'bonferroni' });
    const tested = report.columns.filter((c) => c.pValue !== null);
    expect(tested).toHaveLength(4);
    for (const c of tested) expect(c.adjustedPValue).toBeCloseTo(Math.min(1, c.pValue! * 4), 15);
    expect(report.columns[3]).toMatchObject({ method: 'wasserstein', adjustedPValue: null });
    // 0.0284597 × 4 and 0.0344246 × 4 exceed 0.05: the binary and few-values columns no longer drift.
    expect(report.columns.map((c) => c.drifted)).toEqual([true, true, false, true, false]);
    expect(report.correction).toBe('bonferroni');
  });

  it('bh adjusts like statsmodels fdr_bh over the p-value columns', () => {
    const report = detectDrift(mixed, { correction: 'bh' });
    const p = report.columns.map((c) => c.pValue);
    // Ranks: amount 1, city 2, churned 3, rooms 4 of m = 4 tests.
    expect(report.columns[0]!.adjustedPValue).toBeCloseTo(p[0]! * 4, 20);
    expect(report.columns[1]!.adjustedPValue).toBeCloseTo(p[1]! * 2, 15);
    expect(report.columns[2]!.adjustedPValue).toBeCloseTo(Math.min((p[2]! * 4) / 3, p[4]!), 15);
    expect(report.columns[4]!.adjustedPValue).toBeCloseTo(p[4]!, 15);
    expect(report.columns.map((c) => c.drifted)).toEqual([true, true, true, true, true]);
  });

  it('reports the drifted share and flags the dataset at datasetDriftShare', () => {
    const same = numeric('same', sample(300, 7919, 10007, 1), sample(300, 7919, 10007, 1));
    const sameCat = categorical('sameCat', repeated(['a', 10], ['b', 20], ['c', 5]), repeated(['a', 10], ['b', 20], ['c', 5]));
    const columns = [smallNumeric, same, smallCategorical, sameCat];
    const report = detectDrift(columns);
    expect(report.columns.map((c) => c.drifted)).toEqual([true, false, true, false]);
    expect(report.driftedShare).toBe(0.5);
    expect(report.datasetDrift).toBe(true);
    expect(report.alpha).toBe(0.05);
    expect(detectDrift(columns, { datasetDriftShare: 0.75 }).datasetDrift).toBe(false);
    expect(detectDrift(columns, { alpha: 1e-12 }).driftedShare).toBe(0.25); // only the KS p ≈ 1.2e-13 stays below
  });
});

describe('detectDrift: bad input', () => {
  it('names the column whose sample is empty after dropping missing values', () => {
    expect(() => detectDrift([smallNumeric, numeric('age', Float64Array.from([NaN, NaN]), Float64Array.from([1, 2]))])).toThrow(
      /column "age": the reference sample is empty after dropping missing \(NaN\) values/,
    );
    expect(() => detectDrift([categorical('city', ['a', 'b'], [null, null])])).toThrow(
      /column "city": the current sample is empty after dropping missing \(null\)/,
    );
    expect(() => detectDrift([numeric('z', Float64Array.from([]), Float64Array.from([1]))])).toThrow(/column "z"/);
  });

  it('rejects alpha, datasetDriftShare and thresholds out of range', () => {
    for (const alpha of [0, 1, -0.1, 1.5, NaN]) expect(() => detectDrift([smallNumeric], { alpha })).toThrow(/alpha must be a number in \(0, 1\)/);
    for (const datasetDriftShare of [0, 1.01]) expect(() => detectDrift([smallNumeric], { datasetDriftShare })).toThrow(/datasetDriftShare/);
    expect(() => detectDrift([smallNumeric], { thresholds: { psi: 0 } })).toThrow(/threshold psi must be a number in \(0, ∞\)/);
    expect(() => detectDrift([smallNumeric], { thresholds: { jensenshannon: 1.5 } })).toThrow(/threshold jensenshannon must be a number in \(0, 1\]/);
    expect(() => detectDrift([smallNumeric], { thresholds: { wasserstein: -1 } })).toThrow(/threshold wasserstein/);
    expect(() => detectDrift([smallNumeric], { thresholds: { ks: 1.5 } })).toThrow(/threshold ks is a significance level and must be a number in \(0, 1\)/);
    expect(() => detectDrift([smallNumeric], { thresholds: { ttest: 0.1 } as DriftOptions['thresholds'] })).toThrow(/unknown threshold "ttest"/);
    expect(() => detectDrift([smallNumeric], { columnOverrides: { amount: { threshold: 0.1 } } })).toThrow(/column "amount" sets a threshold without a method/);
    expect(() => detectDrift([smallNumeric], { columnOverrides: { amount: { method: 'ttest' as 'ks' } } })).toThrow(
      /unknown method "ttest" for column "amount"/,
    );
    expect(() => detectDrift([smallNumeric], { base: '10' as 'e' })).toThrow(/base must be "e" or "2"/);
    expect(() => detectDrift([smallNumeric], { thresholds: { toString: 0.1 } as DriftOptions['thresholds'] })).toThrow(/unknown threshold "toString"/);
  });

  it('rejects unknown methods and corrections, duplicate names, no columns and infinite values', () => {
    expect(() => detectDrift([smallNumeric], { method: 'ttest' as DriftOptions['method'] })).toThrow(/unknown method "ttest"/);
    expect(() => detectDrift([smallNumeric], { correction: 'holm' as DriftOptions['correction'] })).toThrow(/unknown correction "holm"/);
    expect(() => detectDrift([smallNumeric, smallNumeric])).toThrow(/column "amount" appears twice/);
    expect(() => detectDrift([])).toThrow(/no columns/);
    expect(() => detectDrift([numeric('t', Float64Array.from([1, 2, Infinity]), Float64Array.from([1]))])).toThrow(
      /column "t": the reference sample contains ±Infinity/,
    );
    expect(() => detectDrift([{ name: 'w', kind: 'numeric', reference: [1, 2] as unknown as Float64Array, current: Float64Array.from([1]) }])).toThrow(
      /column "w" is numeric, so reference and current must be Float64Arrays/,
    );
  });
});
