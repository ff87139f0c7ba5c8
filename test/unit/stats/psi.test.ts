import { describe, expect, it } from 'vitest';
import { numericPsi, populationStabilityIndex, PSI_FLOOR } from '../../../core/stats/psi';
import { binCountsSorted, quantileSorted, referenceQuantileEdges } from '../../../core/stats/quantile-bins';
import { sortInPlace } from '../../../core/stats/sort';
import { expectRelClose, sample } from './reference';

// Reference values come from a NumPy transcription of the definition (PSI has no scipy function):
//   edges = np.unique(np.quantile(np.sort(ref), np.arange(1, bins) / bins))
//   counts = np.bincount(np.searchsorted(edges, x, side='left'), minlength=len(edges) + 1)   # bins (e_i-1, e_i]
//   r, c = proportions with 0 replaced by 1e-4;  psi = np.sum((c - r) * np.log(c / r))

describe('quantile bins', () => {
  it('puts edges at numpy.quantile (linear) of the reference and counts right-closed bins', () => {
    const ref = sortInPlace(sample(300, 7919, 10007, 1));
    const cur = sortInPlace(sample(217, 4801, 9973, 3, 0.35));
    const edges = referenceQuantileEdges(ref, 10);
    // np.quantile(a, np.arange(1, 10) / 10)
    const want = [
      0.40115227033384326, 0.5729666156767187, 0.7239286345711847, 0.8512379795681485, 0.9568186884565419, 1.0643134421289713, 1.1910485736907241,
      1.333156021554143, 1.5336395292526002,
    ];
    edges.forEach((e, i) => expectRelClose(e, want[i]!, 1e-15));
    expect([...binCountsSorted(ref, edges)]).toEqual([30, 30, 30, 30, 30, 30, 30, 30, 30, 30]);
    expect([...binCountsSorted(cur, edges)]).toEqual([0, 9, 9, 10, 12, 18, 25, 33, 36, 65]);
  });

  it('merges duplicate edges when the reference has heavy ties', () => {
    const ref = sortInPlace(sample(400, 7919, 10007, 1, 0, 4));
    const edges = referenceQuantileEdges(ref, 10);
    expect([...edges]).toEqual([0.25, 0.5, 0.75, 1, 1.25, 1.5]);
    expect([...binCountsSorted(ref, edges)]).toEqual([61, 65, 89, 83, 54, 36, 12]);
  });

  it('interpolates quantiles like numpy', () => {
    const s = Float64Array.from([1, 2, 4, 8]);
    expect(quantileSorted(s, 0)).toBe(1);
    expect(quantileSorted(s, 1)).toBe(8);
    expect(quantileSorted(s, 0.5)).toBe(3);
    expect(quantileSorted(s, 0.9)).toBeCloseTo(6.8, 14);
  });
});

describe('population stability index', () => {
  it('numeric PSI over 10 reference-quantile bins matches the NumPy reference', () => {
    const psi = numericPsi(sortInPlace(sample(300, 7919, 10007, 1)), sortInPlace(sample(217, 4801, 9973, 3, 0.35)));
    expectRelClose(psi, 1.1407885282212502, 1e-13);
  });

  it('numeric PSI with tied reference values matches the NumPy reference', () => {
    const psi = numericPsi(sortInPlace(sample(400, 7919, 10007, 1, 0, 4)), sortInPlace(sample(300, 4801, 9973, 3, 0.2, 4)));
    expectRelClose(psi, 0.22335866864242826, 1e-13);
  });

  it('categorical PSI floors an unseen category at 1e-4', () => {
    expect(PSI_FLOOR).toBe(1e-4);
    expectRelClose(populationStabilityIndex([50, 30, 20, 0], [40, 35, 15, 10]), 0.7344907451156885, 1e-13);
  });

  it('is 0 for identical distributions and grows with the shift', () => {
    expect(populationStabilityIndex([10, 20, 30], [20, 40, 60])).toBe(0);
    const small = populationStabilityIndex([25, 25, 25, 25], [24, 26, 25, 25]);
    const large = populationStabilityIndex([25, 25, 25, 25], [10, 20, 30, 40]);
    expect(small).toBeGreaterThan(0);
    expect(small).toBeLessThan(0.1);
    expect(large).toBeGreaterThan(0.1);
  });

  it('rejects mismatched bins and empty samples', () => {
    expect(() => populationStabilityIndex([1, 2], [1])).toThrow(/2 reference bins but 1 current/);
    expect(() => populationStabilityIndex([0, 0], [1, 2])).toThrow(/at least one/);
  });
});
