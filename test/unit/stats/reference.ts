// Checking against reference values: the deterministic samples shared with the Python script that
// computed the scipy/statsmodels numbers hard-coded in these tests, and a relative-tolerance assertion.
// Integer arithmetic and single IEEE divisions make the samples bit-identical in both languages:
//
//   def sample(n, mult, mod, offset, shift=0.0, step=None):
//       out = []
//       for i in range(n):
//           u = ((i * mult + offset) % mod) / mod
//           v = ((i * 7 + offset * 3) % 13) / 13
//           x = u + v + shift
//           if step: x = math.floor(x * step) / step
//           out.append(x)
//       return np.array(out)
import { expect } from 'vitest';

/** Values in [shift, shift + 2): a sum of two interleaved uniform grids; `step` rounds down to 1/step (ties). */
export function sample(n: number, mult: number, mod: number, offset: number, shift = 0, step = 0): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = ((i * mult + offset) % mod) / mod;
    const v = ((i * 7 + offset * 3) % 13) / 13;
    const x = u + v + shift;
    out[i] = step ? Math.floor(x * step) / step : x;
  }
  return out;
}

/** |actual − expected| ≤ rel·|expected| (exact equality when expected is 0). */
export function expectRelClose(actual: number, expected: number, rel: number): void {
  expect(Math.abs(actual - expected), `${actual} vs reference ${expected} (relative tolerance ${rel})`).toBeLessThanOrEqual(rel * Math.abs(expected));
}
