// Exact mergeable moments: count, mean, sum of squared deviations (M2), min and max. Partitions merge with
// Chan et al.'s pairwise update, so a merged mean/std equals the single-pass one up to floating-point rounding.

export interface Moments {
  count: number;
  mean: number;
  /** Sum of squared deviations from the mean. */
  m2: number;
  min: number | null;
  max: number | null;
}

export const EMPTY_MOMENTS: Moments = { count: 0, mean: 0, m2: 0, min: null, max: null };

export function momentsOf(values: ArrayLike<number>): Moments {
  let m: Moments = EMPTY_MOMENTS;
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (!Number.isFinite(x)) continue;
    const count = m.count + 1;
    const delta = x - m.mean;
    const mean = m.mean + delta / count;
    m = { count, mean, m2: m.m2 + delta * (x - mean), min: m.min === null ? x : Math.min(m.min, x), max: m.max === null ? x : Math.max(m.max, x) };
  }
  return m;
}

export function mergeMoments(a: Moments, b: Moments): Moments {
  if (a.count === 0) return b;
  if (b.count === 0) return a;
  const count = a.count + b.count;
  const delta = b.mean - a.mean;
  return {
    count,
    mean: a.mean + (delta * b.count) / count,
    m2: a.m2 + b.m2 + (delta * delta * a.count * b.count) / count,
    min: Math.min(a.min!, b.min!),
    max: Math.max(a.max!, b.max!),
  };
}

/** Sample standard deviation (n − 1), as DuckDB's stddev_samp; null below two values. */
export function sampleStd(m: Moments): number | null {
  return m.count < 2 ? null : Math.sqrt(m.m2 / (m.count - 1));
}
