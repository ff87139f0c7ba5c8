import { describe, expect, it } from 'vitest';
import { jensenShannonDistance } from '../../../core/stats/jensen-shannon';
import { expectRelClose } from './reference';

describe('Jensen–Shannon distance (base 2)', () => {
  it('matches scipy.spatial.distance.jensenshannon(p, q, base=2)', () => {
    // jensenshannon([0.1, 0.4, 0.5], [0.8, 0.15, 0.05], base=2)
    expectRelClose(jensenShannonDistance([0.1, 0.4, 0.5], [0.8, 0.15, 0.05]), 0.6482287947757128, 1e-14);
    // Counts are normalised like scipy does: jensenshannon([10, 0, 35, 55, 0], [5, 20, 40, 30, 5], base=2)
    expectRelClose(jensenShannonDistance([10, 0, 35, 55, 0], [5, 20, 40, 30, 5]), 0.399058032314644, 1e-14);
    // Quantile-binned counts of the PSI test samples: jensenshannon(rc, cc, base=2)
    expectRelClose(
      jensenShannonDistance([30, 30, 30, 30, 30, 30, 30, 30, 30, 30], [0, 9, 9, 10, 12, 18, 25, 33, 36, 65]),
      0.3584533263727633,
      1e-14,
    );
  });

  it("relates to scipy's default base e by a factor √(ln 2)", () => {
    // jensenshannon([0.1, 0.4, 0.5], [0.8, 0.15, 0.05]) with the default base e
    expectRelClose(jensenShannonDistance([0.1, 0.4, 0.5], [0.8, 0.15, 0.05]) * Math.sqrt(Math.LN2), 0.5396858721757166, 1e-14);
  });

  it('is 0 for identical and 1 for disjoint distributions', () => {
    expect(jensenShannonDistance([1, 2, 3], [2, 4, 6])).toBe(0);
    expectRelClose(jensenShannonDistance([1, 0], [0, 1]), 1, 1e-15);
  });

  it('rejects negative weights and empty distributions', () => {
    expect(() => jensenShannonDistance([1, -1], [1, 1])).toThrow(/negative or NaN weight at index 1/);
    expect(() => jensenShannonDistance([0, 0], [1, 1])).toThrow(/positive total/);
  });
});
