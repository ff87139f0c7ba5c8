import { describe, expect, it } from 'vitest';
import { chiSquareAgainstReference, chiSquareContingency, chiSquareGoodnessOfFit, UNSEEN_REFERENCE_COUNT } from '../../../core/stats/chisquare';
import { expectRelClose } from './reference';

describe('chi-squared tests', () => {
  it('goodness of fit matches scipy.stats.chisquare', () => {
    // scipy.stats.chisquare([18, 22, 31, 29], [25, 25, 25, 25])
    const uniform = chiSquareGoodnessOfFit([18, 22, 31, 29], [25, 25, 25, 25]);
    expectRelClose(uniform.statistic, 4.3999999999999995, 1e-14);
    expect(uniform.df).toBe(3);
    expectRelClose(uniform.pValue, 0.2213853871894879, 1e-13);
    // scipy.stats.chisquare([120, 75, 5, 40], [100.8, 86.4, 19.2, 33.6])
    const skewed = chiSquareGoodnessOfFit([120, 75, 5, 40], [100.8, 86.4, 19.2, 33.6]);
    expectRelClose(skewed.statistic, 16.882440476190478, 1e-14);
    expectRelClose(skewed.pValue, 0.0007471958750080329, 1e-13);
  });

  it('against the reference scales reference proportions to the current total, flooring unseen categories', () => {
    // Reference never saw the 4th category: it counts as 0.5 observations (UNSEEN_REFERENCE_COUNT).
    // expected = [50, 30, 20, 0.5] / 100.5 * 100; scipy.stats.chisquare([40, 35, 15, 10], expected)
    expect(UNSEEN_REFERENCE_COUNT).toBe(0.5);
    const r = chiSquareAgainstReference([50, 30, 20, 0], [40, 35, 15, 10]);
    expectRelClose(r.statistic, 185.50375, 1e-13);
    expect(r.df).toBe(3);
    expectRelClose(r.pValue, 5.7123055443944356e-40, 1e-11);
  });

  it('contingency test matches scipy.stats.chi2_contingency(table, correction=False)', () => {
    // scipy.stats.chi2_contingency([[50, 30, 20, 0], [40, 35, 15, 10]], correction=False)
    const a = chiSquareContingency([50, 30, 20, 0], [40, 35, 15, 10]);
    expectRelClose(a.statistic, 12.21001221001221, 1e-13);
    expect(a.df).toBe(3);
    expectRelClose(a.pValue, 0.006697303426989618, 1e-12);
    // scipy.stats.chi2_contingency([[300, 500, 200], [250, 520, 330]], correction=False)
    const b = chiSquareContingency([300, 500, 200], [250, 520, 330]);
    expectRelClose(b.statistic, 32.13536841525945, 1e-13);
    expect(b.df).toBe(2);
    expectRelClose(b.pValue, 1.0517037238499127e-7, 1e-12);
    // scipy.stats.chi2_contingency([[30, 70], [45, 55]], correction=False): no Yates correction on 2×2
    const c = chiSquareContingency([30, 70], [45, 55]);
    expectRelClose(c.statistic, 4.8, 1e-13);
    expect(c.df).toBe(1);
    expectRelClose(c.pValue, 0.028459736916310638, 1e-12);
  });

  it('drops categories absent from both samples and reports p = 1 for a single category', () => {
    const withEmpty = chiSquareContingency([30, 0, 70], [45, 0, 55]);
    expect(withEmpty.df).toBe(1);
    expectRelClose(withEmpty.statistic, 4.8, 1e-13);
    expect(chiSquareContingency([10], [20])).toEqual({ statistic: 0, df: 0, pValue: 1 });
  });

  it('rejects zero expected counts, mismatched lengths and mismatched totals', () => {
    expect(() => chiSquareGoodnessOfFit([1, 2], [3, 0])).toThrow(/expected count of category 1/);
    expect(() => chiSquareGoodnessOfFit([1, 2], [3])).toThrow(/2 observed counts but 1 expected/);
    expect(() => chiSquareGoodnessOfFit([1, 2], [1, 1])).toThrow(/totals? .*differs/);
    expect(() => chiSquareContingency([0, 0], [1, 2])).toThrow(/both samples/);
  });
});
