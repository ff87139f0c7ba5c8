// A KLL-style quantile sketch with equal-capacity compactors (Karnin, Lang, Liberty 2016; the capacity is the
// same at every level, which keeps merging simple at a small cost in size). An item at level h stands for 2^h
// values. A full level is sorted and every other item, from a pseudo-random offset, moves up a level.
//
// Error bound (rank error of any quantile, as a fraction of n): a compaction at level h moves the rank of any
// query by −2^h, 0 or +2^h, with mean zero; level h compacts at most n / (2^h (k − 1)) times. By Hoeffding the
// total is within 6.5 / k with probability ≥ 99% (k = 2048: 0.32%); the worst case is H / (k − 1) for H levels.
// A sketch built from a partition's exact order statistics (`kllFromOrderStatistics`) adds at most 1 / k.
// The offsets are a hash of (level, n), so the same inputs merged in the same order give the same sketch.

export const DEFAULT_KLL_K = 2048;

export interface KllSketch {
  k: number;
  /** Values summarized (finite values only). */
  n: number;
  /** levels[h]: items of weight 2^h. */
  levels: number[][];
}

/** The documented rank-error bound (fraction of n) that holds with probability ≥ 99%. */
export function kllRankErrorBound(k: number): number {
  return 6.5 / k + 1 / k;
}

export function createKll(k = DEFAULT_KLL_K): KllSketch {
  if (!Number.isInteger(k) || k < 8) throw new Error(`KLL capacity k must be an integer ≥ 8, got ${k}`);
  return { k, n: 0, levels: [[]] };
}

export function kllUpdate(s: KllSketch, x: number): void {
  if (!Number.isFinite(x)) return;
  s.levels[0]!.push(x);
  s.n++;
  if (s.levels[0]!.length >= s.k) compress(s);
}

/** A deterministic coin from (level, n): which half of a compacted level survives. */
function offset(level: number, n: number): 0 | 1 {
  let h = Math.imul(level + 0x9e3779b9, 0x85ebca6b) ^ Math.imul(n >>> 0, 0xc2b2ae35) ^ Math.floor(n / 4294967296);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  return (h & 1) as 0 | 1;
}

function compress(s: KllSketch): void {
  for (let h = 0; h < s.levels.length; h++) {
    const level = s.levels[h]!;
    if (level.length < s.k) continue;
    level.sort((a, b) => a - b);
    // An odd item out stays at its level, so weights always add up to n exactly.
    const held = level.length % 2 === 1 ? level.pop() : undefined;
    const start = offset(h, s.n);
    if (h + 1 === s.levels.length) s.levels.push([]);
    const up = s.levels[h + 1]!;
    for (let i = start; i < level.length; i += 2) up.push(level[i]!);
    s.levels[h] = held === undefined ? [] : [held];
  }
}

/** Merges b into a copy of a; both must share k. */
export function kllMerge(a: KllSketch, b: KllSketch): KllSketch {
  if (a.k !== b.k) throw new Error(`cannot merge KLL sketches of capacity ${a.k} and ${b.k}`);
  const depth = Math.max(a.levels.length, b.levels.length);
  const levels = Array.from({ length: depth }, (_, h) => [...(a.levels[h] ?? []), ...(b.levels[h] ?? [])]);
  const out: KllSketch = { k: a.k, n: a.n + b.n, levels };
  compress(out);
  return out;
}

/**
 * A sketch from a partition's order statistics, computed exactly elsewhere (by DuckDB): `ranksFor(n, k)` names
 * the 0-based ranks to fetch; `values[i]` is the value at ranks[i]. Each item stands for a block of consecutive
 * ranks, so the total weight is exactly n.
 */
export function kllFromOrderStatistics(n: number, values: number[], k = DEFAULT_KLL_K): KllSketch {
  const blocks = kllBlocks(n, k);
  if (values.length !== blocks.length) throw new Error(`expected ${blocks.length} order statistics for n = ${n}, got ${values.length}`);
  const s: KllSketch = { k, n, levels: [] };
  blocks.forEach((b, i) => {
    while (s.levels.length <= b.level) s.levels.push([]);
    s.levels[b.level]!.push(values[i]!);
  });
  if (s.levels.length === 0) s.levels.push([]);
  compress(s);
  return s;
}

/** The rank blocks of `kllFromOrderStatistics`: full blocks of 2^h ranks, then the remainder in powers of two. */
export function kllBlocks(n: number, k: number): { level: number; rank: number }[] {
  if (n <= 0) return [];
  let top = 0;
  while (Math.floor(n / 2 ** top) > k) top++;
  const size = 2 ** top;
  const out: { level: number; rank: number }[] = [];
  const full = Math.floor(n / size);
  for (let j = 0; j < full; j++) out.push({ level: top, rank: j * size + Math.floor(size / 2) });
  let p = full * size;
  for (let b = top - 1; b >= 0; b--) {
    if ((n - full * size) & (1 << b)) {
      out.push({ level: b, rank: p + Math.floor(2 ** b / 2) });
      p += 2 ** b;
    }
  }
  return out;
}

/** The 0-based ranks `kllFromOrderStatistics` needs. */
export function kllRanksFor(n: number, k = DEFAULT_KLL_K): number[] {
  return kllBlocks(n, k).map((b) => b.rank);
}

/** The sketch's items in ascending order with their cumulative weights (the step CDF times n). */
export function kllWeighted(s: KllSketch): { values: Float64Array; cumulative: Float64Array } {
  const items: [number, number][] = [];
  s.levels.forEach((level, h) => {
    for (const v of level) items.push([v, 2 ** h]);
  });
  items.sort((a, b) => a[0] - b[0]);
  const values = new Float64Array(items.length);
  const cumulative = new Float64Array(items.length);
  let c = 0;
  items.forEach(([v, w], i) => {
    c += w;
    values[i] = v;
    cumulative[i] = c;
  });
  return { values, cumulative };
}

/** Quantiles for each probability p in [0, 1] (null for an empty sketch). */
export function kllQuantiles(s: KllSketch, ps: readonly number[]): (number | null)[] {
  if (s.n === 0) return ps.map(() => null);
  const { values, cumulative } = kllWeighted(s);
  const total = cumulative[cumulative.length - 1]!;
  return ps.map((p) => {
    const target = Math.min(Math.max(p, 0), 1) * total;
    let lo = 0;
    let hi = values.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < target) lo = mid + 1;
      else hi = mid;
    }
    return values[lo]!;
  });
}

/** Estimated fraction of values ≤ x. */
export function kllCdf(s: KllSketch, x: number): number {
  if (s.n === 0) return 0;
  let below = 0;
  s.levels.forEach((level, h) => {
    for (const v of level) if (v <= x) below += 2 ** h;
  });
  return below / s.n;
}
