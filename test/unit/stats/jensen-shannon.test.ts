import { describe, expect, it } from 'vitest';
import { jensenShannonDistance } from '../../../core/stats/jensen-shannon';
import { expectRelClose } from './reference';

// Reference values: scripts/reference/jensen_shannon_reference.py (scipy.spatial.distance.jensenshannon).
const CASES: [string, number[], number[], { e: number; '2': number }][] = [
  ['probabilities', [0.1, 0.4, 0.5], [0.8, 0.15, 0.05], { e: 0.5396858721757166, '2': 0.6482287947757128 }],
  ['counts with zeros (normalised like scipy)', [10, 0, 35, 55, 0], [5, 20, 40, 30, 5], { e: 0.3322376049230744, '2': 0.399058032314644 }],
  ['decile-binned counts', Array(10).fill(30), [0, 9, 9, 10, 12, 18, 25, 33, 36, 65], { e: 0.29843196975645925, '2': 0.3584533263727633 }],
  ['category counts', [600, 400, 200], [300, 300, 400], { e: 0.19447738301578255, '2': 0.23359114274240173 }],
];

describe('Jensen–Shannon distance', () => {
  it.each(CASES)('matches scipy.spatial.distance.jensenshannon in base e and base 2: %s', (_name, p, q, expected) => {
    expectRelClose(jensenShannonDistance(p, q, 'e'), expected.e, 1e-14);
    expectRelClose(jensenShannonDistance(p, q, '2'), expected['2'], 1e-14);
  });

  it("defaults to base e, scipy's and Evidently's scale", () => {
    expect(jensenShannonDistance([0.1, 0.4, 0.5], [0.8, 0.15, 0.05])).toBe(jensenShannonDistance([0.1, 0.4, 0.5], [0.8, 0.15, 0.05], 'e'));
    // base 2 = base e / √(ln 2)
    expectRelClose(jensenShannonDistance([1, 2, 3], [3, 1, 1], '2') / jensenShannonDistance([1, 2, 3], [3, 1, 1], 'e'), 1 / Math.sqrt(Math.LN2), 1e-14);
  });

  it('is 0 for identical and its maximum for disjoint distributions', () => {
    expect(jensenShannonDistance([1, 2, 3], [2, 4, 6])).toBe(0);
    expectRelClose(jensenShannonDistance([1, 0], [0, 1], '2'), 1, 1e-15);
    expectRelClose(jensenShannonDistance([1, 0], [0, 1], 'e'), Math.sqrt(Math.LN2), 1e-15);
  });

  it('rejects negative weights, empty distributions and unknown bases', () => {
    expect(() => jensenShannonDistance([1, -1], [1, 1])).toThrow(/negative or NaN weight at index 1/);
    expect(() => jensenShannonDistance([0, 0], [1, 1])).toThrow(/positive total/);
    expect(() => jensenShannonDistance([1, 1], [1, 1], '10' as 'e')).toThrow(/base must be "e" or "2", got "10"/);
  });
});
