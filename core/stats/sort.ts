// Sorting numeric samples for the rank-based statistics (KS, Wasserstein, quantile bins).
// Float64Array.prototype.sort takes ~150 ms per million doubles on the reference machine, which alone would
// spend the 3 s budget of a 1M-row × 10-numeric-column drift check (20 sorts). A distribution-aware bucket
// sort (value → bucket by linear interpolation between min and max, small buckets by insertion sort, large
// ones recursively) takes ~35 ms on the same data; skewed data degrades to the typed sort, never below it.

const INSERTION_MAX = 32;
const MAX_DEPTH = 3;
/** Bucket ids of skipped (NaN) values in the first pass. */
const SKIP = 0xffffffff;

/** Work buffers for sorting samples of up to `capacity` values; reuse them across samples to avoid allocating. */
export interface SortBuffers {
  scratch: Float64Array;
  bucketOf: Uint32Array;
}

export function sortBuffers(capacity: number): SortBuffers {
  return { scratch: new Float64Array(capacity), bucketOf: new Uint32Array(capacity) };
}

function insertionSort(a: Float64Array, lo: number, hi: number): void {
  for (let i = lo + 1; i < hi; i++) {
    const v = a[i]!;
    let j = i - 1;
    while (j >= lo && a[j]! > v) {
      a[j + 1] = a[j]!;
      j--;
    }
    a[j + 1] = v;
  }
}

/** Number of buckets for n values; `(v − min) · scale` is monotone in v, so bucket order is value order. */
function bucketScale(n: number, min: number, max: number): { buckets: number; scale: number } | null {
  const buckets = Math.max(2, n >> 2);
  const scale = buckets / (max - min);
  return scale > 0 && Number.isFinite(scale) && Number.isFinite(min) ? { buckets, scale } : null;
}

/** Sorts each bucket [ends[b-1], ends[b]) of `a` (offset by lo) in place. */
function sortBuckets(a: Float64Array, buffers: SortBuffers, lo: number, ends: Uint32Array, buckets: number, depth: number): void {
  let start = lo;
  for (let b = 0; b < buckets; b++) {
    const end = lo + ends[b]!;
    if (end - start > 1) bucketSort(a, buffers, start, end, depth + 1);
    start = end;
  }
}

/** Sorts a[lo, hi) ascending; needs no NaN in the range. */
function bucketSort(a: Float64Array, buffers: SortBuffers, lo: number, hi: number, depth: number): void {
  const n = hi - lo;
  if (n <= INSERTION_MAX) {
    insertionSort(a, lo, hi);
    return;
  }
  let min = a[lo]!;
  let max = min;
  for (let i = lo + 1; i < hi; i++) {
    const v = a[i]!;
    if (v < min) min = v;
    else if (v > max) max = v;
  }
  if (!(max > min)) return; // all equal
  const grid = depth < MAX_DEPTH ? bucketScale(n, min, max) : null;
  if (grid === null) {
    a.subarray(lo, hi).sort();
    return;
  }
  const { buckets, scale } = grid;
  const { scratch, bucketOf } = buffers;
  const ends = new Uint32Array(buckets + 1);
  for (let i = lo; i < hi; i++) {
    let b = Math.floor((a[i]! - min) * scale);
    if (b >= buckets) b = buckets - 1;
    bucketOf[i] = b;
    ends[b + 1]!++;
  }
  for (let b = 0; b < buckets; b++) ends[b + 1]! += ends[b]!;
  for (let i = lo; i < hi; i++) scratch[lo + ends[bucketOf[i]!]!++] = a[i]!;
  a.set(scratch.subarray(lo, hi), lo);
  // ends[b] is now the end of bucket b.
  sortBuckets(a, buffers, lo, ends, buckets, depth);
}

/** Sorts `values` ascending in place and returns it. The values must not contain NaN. */
export function sortInPlace(values: Float64Array, buffers: SortBuffers = sortBuffers(values.length)): Float64Array {
  bucketSort(values, buffers, 0, values.length, 0);
  return values;
}

/**
 * The values of `values` except NaN (a missing value), sorted ascending: written to the front of `out`
 * (a new array when omitted; otherwise at least as long as `values`) and returned as a view of it.
 * The first bucketing pass reads `values` directly, so missing values are dropped without an extra copy.
 */
export function sortedWithoutNaN(values: Float64Array, out?: Float64Array, buffers?: SortBuffers): Float64Array {
  const n = values.length;
  const target = out ?? new Float64Array(n);
  if (target.length < n) throw new Error(`sortedWithoutNaN: output holds ${target.length} values, needs ${n}`);
  let count = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (v !== v) continue;
    count++;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const sorted = target.subarray(0, count);
  const work = buffers ?? sortBuffers(n);
  if (work.scratch.length < n || work.bucketOf.length < n) throw new Error(`sortedWithoutNaN: work buffers hold fewer than ${n} values`);
  const grid = count > INSERTION_MAX && max > min ? bucketScale(count, min, max) : null;
  if (grid === null) {
    let k = 0;
    for (let i = 0; i < n; i++) if (values[i] === values[i]) sorted[k++] = values[i]!;
    if (max > min) bucketSort(sorted, work, 0, count, 0);
    return sorted;
  }
  const { buckets, scale } = grid;
  const { bucketOf } = work;
  const ends = new Uint32Array(buckets + 1);
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (v !== v) {
      bucketOf[i] = SKIP;
      continue;
    }
    let b = Math.floor((v - min) * scale);
    if (b >= buckets) b = buckets - 1;
    bucketOf[i] = b;
    ends[b + 1]!++;
  }
  for (let b = 0; b < buckets; b++) ends[b + 1]! += ends[b]!;
  for (let i = 0; i < n; i++) {
    const b = bucketOf[i]!;
    if (b !== SKIP) sorted[ends[b]!++] = values[i]!;
  }
  sortBuckets(sorted, work, 0, ends, buckets, 0);
  return sorted;
}

/** The number of values ≤ x in an ascending-sorted array: the index of the first value > x. */
export function countAtMost(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
