import { describe, expect, it } from 'vitest';
import { adjustPValues } from '../../../core/stats/corrections';
import type { Correction } from '../../../core/stats/corrections';
import { expectRelClose } from './reference';

const P = [0.01, 0.04, 0.03, 0.005, 0.2, 0.04, 0.9, 0.0001];

function expectAllClose(actual: number[], expected: number[]): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((a, i) => expectRelClose(a, expected[i]!, 1e-14));
}

describe('multiple-testing corrections', () => {
  it('bonferroni matches statsmodels multipletests(p, method="bonferroni")', () => {
    expectAllClose(adjustPValues(P, 'bonferroni'), [0.08, 0.32, 0.24, 0.04, 1, 0.32, 1, 0.0008]);
  });

  it('bh matches statsmodels multipletests(p, method="fdr_bh"), in input order', () => {
    expectAllClose(
      adjustPValues(P, 'bh'),
      [0.02666666666666667, 0.05333333333333334, 0.05333333333333334, 0.02, 0.2285714285714286, 0.05333333333333334, 0.9, 0.0008],
    );
  });

  it('bh handles tied p-values like statsmodels', () => {
    // multipletests([0.5, 0.02, 0.02, 0.02, 0.8], method='fdr_bh')
    expectAllClose(adjustPValues([0.5, 0.02, 0.02, 0.02, 0.8], 'bh'), [0.625, 0.03333333333333333, 0.03333333333333333, 0.03333333333333333, 0.8]);
  });

  it('none returns the p-values unchanged, and every correction accepts an empty family', () => {
    expect(adjustPValues(P, 'none')).toEqual(P);
    for (const c of ['none', 'bonferroni', 'bh'] as Correction[]) expect(adjustPValues([], c)).toEqual([]);
  });

  it('rejects p-values outside [0, 1] and unknown corrections', () => {
    expect(() => adjustPValues([0.1, 1.5], 'bh')).toThrow(/p-value 1 is 1.5/);
    expect(() => adjustPValues([0.1], 'holm' as Correction)).toThrow(/unknown correction "holm"/);
  });
});
