import { describe, expect, it } from 'vitest';
import { normedWassersteinSorted, populationStd, wassersteinDistance, WASSERSTEIN_MIN_NORM } from '../../../core/stats/wasserstein';
import { sortInPlace } from '../../../core/stats/sort';
import { expectRelClose, sample } from './reference';

const F = (xs: number[]): Float64Array => Float64Array.from(xs);

describe('Wasserstein-1 distance', () => {
  it('matches scipy.stats.wasserstein_distance', () => {
    // wasserstein_distance([0, 1, 3], [5, 6, 8])
    expectRelClose(wassersteinDistance(F([0, 1, 3]), F([5, 6, 8])), 5, 1e-15);
    // wasserstein_distance([3.4, 3.9, 7.5, 7.8], [4.5, 1.4])
    expectRelClose(wassersteinDistance(F([3.4, 3.9, 7.5, 7.8]), F([4.5, 1.4])), 2.7, 1e-14);
    // wasserstein_distance(sample(300, 7919, 10007, 1), sample(217, 4801, 9973, 3, 0.35))
    expectRelClose(wassersteinDistance(sample(300, 7919, 10007, 1), sample(217, 4801, 9973, 3, 0.35)), 0.3608332578094884, 1e-13);
    // With ties: wasserstein_distance(sample(50, 37, 101, 5, 0, 10), sample(50, 41, 103, 9, 0.25, 10))
    expectRelClose(wassersteinDistance(sample(50, 37, 101, 5, 0, 10), sample(50, 41, 103, 9, 0.25, 10)), 0.20400000000000001, 1e-13);
  });

  it('is symmetric and 0 between a sample and itself', () => {
    const a = sample(300, 7919, 10007, 1);
    const b = sample(217, 4801, 9973, 3, 0.35);
    expectRelClose(wassersteinDistance(b, a), wassersteinDistance(a, b), 1e-14);
    expect(wassersteinDistance(a, a.slice())).toBe(0);
  });

  it('normed variant divides by the reference population std (numpy.std)', () => {
    const a = sortInPlace(sample(300, 7919, 10007, 1));
    const b = sortInPlace(sample(217, 4801, 9973, 3, 0.35));
    // np.std(a)
    expectRelClose(populationStd(a), 0.4205140174374377, 1e-14);
    // wasserstein_distance(a, b) / max(np.std(a), 0.001)
    expectRelClose(normedWassersteinSorted(a, b), 0.8580766463110153, 1e-13);
  });

  it('guards a constant reference with a minimum norm of 0.001 instead of dividing by 0', () => {
    expect(WASSERSTEIN_MIN_NORM).toBe(0.001);
    const constant = F([2, 2, 2, 2]);
    expectRelClose(normedWassersteinSorted(constant, F([2, 2, 3, 3])), 0.5 / 0.001, 1e-14);
    expect(normedWassersteinSorted(constant, F([2, 2]))).toBe(0);
  });

  it('rejects NaN and empty samples', () => {
    expect(() => wassersteinDistance(F([1, NaN]), F([1]))).toThrow(/NaN/);
    expect(() => wassersteinDistance(F([]), F([1]))).toThrow(/non-empty/);
  });
});
