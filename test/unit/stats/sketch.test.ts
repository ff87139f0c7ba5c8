// Mergeable summaries: partitions summarized apart and merged agree with one pass over all the values, within
// each summary's documented error. Reference values: scripts/reference/sketch_reference.py (numpy).
import { describe, expect, it } from 'vitest';
import { createHll, hllAddString, hllEstimate, hllFromBase64, hllMerge, hllRelativeStdError, hllToBase64 } from '../../../core/stats/sketch/hll';
import {
  createKll,
  kllFromOrderStatistics,
  kllMerge,
  kllQuantiles,
  kllRankErrorBound,
  kllRanksFor,
  kllUpdate,
  type KllSketch,
} from '../../../core/stats/sketch/kll';
import { mergeMoments, momentsOf, sampleStd } from '../../../core/stats/sketch/moments';
import { topKComplete, topKItems, topKMerge, topKOfValues, type TopKSummary } from '../../../core/stats/sketch/topk';
import reference from './sketch-reference.json';

const N = reference.n;
const x = new Float64Array(N);
const c: string[] = [];
const s: string[] = [];
for (let i = 0; i < N; i++) {
  const u = ((Math.imul(i, 2654435761) >>> 0) + 0.5) / 2 ** 32;
  x[i] = -10 * Math.log(u);
  c.push(`c${Math.floor(u * u * 300)}`);
  s.push(`id${(i * 7919) % 150000}`);
}
const sorted = Float64Array.from(x).sort();
// Unequal partitions, one of them tiny.
const CUTS = [0, 17_000, 90_000, 91_000, 160_000, 250_000, 333_333, N];
const parts = CUTS.slice(1).map((end, p) => ({ start: CUTS[p]!, end }));

/** Fraction of the values ≤ v (the exact empirical CDF). */
function rankOf(v: number): number {
  let lo = 0;
  let hi = N;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo / N;
}

function expectQuantilesWithin(sketch: KllSketch, bound: number): number {
  const ps = Object.keys(reference.quantiles).map(Number);
  const estimates = kllQuantiles(sketch, ps);
  let worst = 0;
  ps.forEach((p, i) => {
    const exact = reference.quantiles[String(p) as keyof typeof reference.quantiles];
    // In rank space: where the estimate sits in the data against where numpy's quantile sits.
    const err = Math.abs(rankOf(estimates[i]!) - rankOf(exact));
    worst = Math.max(worst, err);
    expect(err, `p${p * 100}: estimate ${estimates[i]} vs numpy ${exact}`).toBeLessThanOrEqual(bound);
  });
  return worst;
}

describe('moments', () => {
  it('merged over partitions equal numpy mean, std, min and max', () => {
    const merged = parts.map((p) => momentsOf(x.subarray(p.start, p.end))).reduce(mergeMoments);
    expect(merged.count).toBe(N);
    expect(Math.abs(merged.mean - reference.mean) / reference.mean).toBeLessThan(1e-12);
    expect(Math.abs(sampleStd(merged)! - reference.std) / reference.std).toBeLessThan(1e-12);
    expect(merged.min).toBe(reference.min);
    expect(merged.max).toBe(reference.max);
  });
});

describe('KLL quantile sketch', () => {
  it('merged streaming sketches agree with numpy quantiles within the documented rank error', () => {
    const sketches = parts.map((p) => {
      const k = createKll();
      for (let i = p.start; i < p.end; i++) kllUpdate(k, x[i]!);
      return k;
    });
    const merged = sketches.reduce(kllMerge);
    expect(merged.n).toBe(N);
    expectQuantilesWithin(merged, kllRankErrorBound(merged.k));
  });

  it('sketches built from each partition’s order statistics merge within the bound, also at a small k', () => {
    for (const k of [2048, 64]) {
      const sketches = parts.map((p) => {
        const part = Float64Array.from(x.subarray(p.start, p.end)).sort();
        return kllFromOrderStatistics(
          part.length,
          kllRanksFor(part.length, k).map((r) => part[r]!),
          k,
        );
      });
      const merged = sketches.reduce(kllMerge);
      expect(merged.levels.reduce((w, l, h) => w + l.length * 2 ** h, 0)).toBe(N);
      const worst = expectQuantilesWithin(merged, kllRankErrorBound(k));
      // The bound is not vacuous: at k = 64 it allows 11.7% and the sketch does far better.
      if (k === 64) expect(worst).toBeLessThan(0.05);
    }
  });

  it('is deterministic: the same partitions merged in the same order give the same sketch', () => {
    const build = (): KllSketch => {
      const k = createKll(256);
      for (let i = 0; i < 50_000; i++) kllUpdate(k, x[i]!);
      return k;
    };
    expect(build()).toEqual(build());
  });

  it('refuses sketches of different capacities', () => {
    expect(() => kllMerge(createKll(64), createKll(128))).toThrow(/capacity 64 and 128/);
  });
});

describe('HyperLogLog', () => {
  it('merged registers equal the single-pass registers, and the estimate is within 3 standard errors', () => {
    const single = createHll();
    for (const v of s) hllAddString(single, v);
    const merged = parts
      .map((p) => {
        const r = createHll();
        for (let i = p.start; i < p.end; i++) hllAddString(r, s[i]!);
        return hllFromBase64(hllToBase64(r));
      })
      .reduce(hllMerge);
    expect(merged).toEqual(single);
    const estimate = hllEstimate(merged);
    expect(Math.abs(estimate - reference.distinct_s) / reference.distinct_s).toBeLessThanOrEqual(3 * hllRelativeStdError());
  });

  it('counts small cardinalities almost exactly (linear counting)', () => {
    const r = createHll();
    for (const v of c) hllAddString(r, v);
    expect(Math.abs(hllEstimate(r) - reference.distinct_c)).toBeLessThanOrEqual(3);
  });
});

describe('top-k', () => {
  const summaries = (capacity: number): TopKSummary[] => parts.map((p) => topKOfValues(c.slice(p.start, p.end), capacity));

  it('merged incomplete summaries rank the top values as numpy does, with true counts inside the error bounds', () => {
    const merged = summaries(32).reduce(topKMerge);
    expect(topKComplete(merged)).toBeUndefined();
    const top = topKItems(merged, 5);
    expect(top.map((t) => t.value)).toEqual(reference.top5_c.map((r) => r[0]));
    top.forEach((t, i) => {
      const exact = reference.top5_c[i]![1] as number;
      expect(t.count).toBeLessThanOrEqual(exact);
      expect(t.count + t.error).toBeGreaterThanOrEqual(exact);
    });
  });

  it('merged complete summaries give every value with its exact count', () => {
    const merged = summaries(512).reduce(topKMerge);
    const all = topKComplete(merged)!;
    expect(all).toHaveLength(reference.distinct_c);
    expect(all.slice(0, 5).map((t) => [t.value, t.count])).toEqual(reference.top5_c);
  });
});
