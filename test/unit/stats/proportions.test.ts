import { describe, expect, it } from 'vitest';
import { twoProportionZTest } from '../../../core/stats/proportions';
import { expectRelClose } from './reference';

describe('two-proportion z-test (pooled, two-sided)', () => {
  it('matches statsmodels.stats.proportion.proportions_ztest', () => {
    // [x1, n1, x2, n2, z, p] from proportions_ztest([x1, x2], [n1, n2])
    const table: [number, number, number, number, number, number][] = [
      [45, 100, 30, 100, 2.1908902300206647, 0.02845973691631055],
      [512, 1000, 4700, 10000, 2.5361747138415867, 0.011207080562482938],
      [3, 40, 9, 35, -2.1465741571734474, 0.031827199132860196],
    ];
    for (const [x1, n1, x2, n2, z, p] of table) {
      const r = twoProportionZTest(x1, n1, x2, n2);
      expectRelClose(r.statistic, z, 1e-13);
      expectRelClose(r.pValue, p, 1e-12);
    }
  });

  it('equals the 2×2 chi-squared test: z² = χ² and the same p-value', () => {
    // chi2_contingency([[45, 55], [30, 70]], correction=False) has χ² = 4.8 = z².
    const r = twoProportionZTest(45, 100, 30, 100);
    expectRelClose(r.statistic ** 2, 4.8, 1e-13);
  });

  it('reports no difference when both samples are all successes or all failures', () => {
    expect(twoProportionZTest(10, 10, 25, 25)).toEqual({ statistic: 0, pValue: 1 });
    expect(twoProportionZTest(0, 10, 0, 25)).toEqual({ statistic: 0, pValue: 1 });
  });

  it('rejects impossible counts', () => {
    expect(() => twoProportionZTest(11, 10, 1, 5)).toThrow(/\[0, n\]/);
    expect(() => twoProportionZTest(0, 0, 1, 5)).toThrow(/sample sizes/);
  });
});
