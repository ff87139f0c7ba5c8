import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sortedWithoutNaN, sortInPlace } from '../../../core/stats/sort';

function expectSameOrder(actual: Float64Array, expected: Float64Array): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    // -0 and +0 may come out in either order; they compare equal.
    if (actual[i] !== expected[i]) expect.fail(`index ${i}: ${actual[i]} !== ${expected[i]}`);
  }
}

describe('numeric sort', () => {
  it('sorts like Float64Array.prototype.sort for arbitrary finite and infinite doubles', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: true }), { maxLength: 3000 }), (xs) => {
        const values = Float64Array.from(xs);
        expectSameOrder(sortInPlace(values.slice()), values.slice().sort());
      }),
      { numRuns: 300 },
    );
  });

  it('sorts skewed, tied and outlier-heavy data of a realistic size', () => {
    const n = 50_000;
    const shapes: Record<string, (i: number) => number> = {
      lognormal: (i) => Math.exp(8 * Math.sin(i * 12.9898) ** 3),
      ties: (i) => (i * 7919) % 17,
      outliers: (i) => (i % 1000 === 0 ? 1e300 * Math.sin(i) : Math.cos(i)),
      sorted: (i) => i,
      reversed: (i) => -i,
    };
    for (const f of Object.values(shapes)) {
      const values = Float64Array.from({ length: n }, (_, i) => f(i));
      expectSameOrder(sortInPlace(values.slice()), values.slice().sort());
    }
  });

  it('drops NaN (missing values) before sorting', () => {
    const sorted = sortedWithoutNaN(Float64Array.from([3, NaN, -1, 2, NaN, 0]));
    expect([...sorted]).toEqual([-1, 0, 2, 3]);
    expect(sortedWithoutNaN(Float64Array.from([NaN])).length).toBe(0);
  });
});
