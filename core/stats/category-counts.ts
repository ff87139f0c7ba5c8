// Category counts of a reference and a current sample over the union of their categories, in one
// deterministic order (sorted keys), as count vectors the categorical tests and distances take.

export interface CategoryCounts<K extends string | number> {
  /** Every category seen in either sample, sorted ascending (strings by UTF-16 code units). */
  keys: K[];
  /** reference[i] / current[i]: how often keys[i] occurs in each sample. */
  reference: Float64Array;
  current: Float64Array;
  referenceTotal: number;
  currentTotal: number;
}

function compareKeys(a: string | number, b: string | number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function ordered<K extends string | number>(keys: K[], reference: number[], current: number[]): CategoryCounts<K> {
  const order = keys.map((_, i) => i).sort((x, y) => compareKeys(keys[x]!, keys[y]!));
  const ref = new Float64Array(keys.length);
  const cur = new Float64Array(keys.length);
  let referenceTotal = 0;
  let currentTotal = 0;
  order.forEach((from, to) => {
    ref[to] = reference[from]!;
    cur[to] = current[from]!;
    referenceTotal += reference[from]!;
    currentTotal += current[from]!;
  });
  return { keys: order.map((i) => keys[i]!), reference: ref, current: cur, referenceTotal, currentTotal };
}

/** Counts string categories; null (and undefined) are missing values and are skipped. */
export function countCategories(reference: readonly (string | null)[], current: readonly (string | null)[]): CategoryCounts<string> {
  // One Map lookup per row, and per-category counters in plain arrays: no per-row allocation.
  const index = new Map<string, number>();
  const keys: string[] = [];
  const counts: [number[], number[]] = [[], []];
  const samples = [reference, current] as const;
  for (let s = 0; s < 2; s++) {
    const values = samples[s]!;
    const mine = counts[s]!;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v == null) continue;
      let k = index.get(v);
      if (k === undefined) {
        k = keys.length;
        index.set(v, k);
        keys.push(v);
        counts[0].push(0);
        counts[1].push(0);
      }
      mine[k]!++;
    }
  }
  return ordered(keys, counts[0], counts[1]);
}

/** Counts the distinct values of two ascending-sorted numeric samples (run lengths, no hashing). */
export function countSortedValues(reference: Float64Array, current: Float64Array): CategoryCounts<number> {
  const keys: number[] = [];
  const ref: number[] = [];
  const cur: number[] = [];
  let i = 0;
  let j = 0;
  while (i < reference.length || j < current.length) {
    const a = i < reference.length ? reference[i]! : Infinity;
    const b = j < current.length ? current[j]! : Infinity;
    const x = a <= b ? a : b;
    let ci = 0;
    let cj = 0;
    while (i < reference.length && reference[i] === x) {
      i++;
      ci++;
    }
    while (j < current.length && current[j] === x) {
      j++;
      cj++;
    }
    if (ci === 0 && cj === 0) break; // only reachable with +Infinity values, which callers reject
    keys.push(x);
    ref.push(ci);
    cur.push(cj);
  }
  return ordered(keys, ref, cur);
}

/** Number of distinct values across two ascending-sorted samples, counting no further than `limit`. */
export function distinctValuesUpTo(reference: Float64Array, current: Float64Array, limit: number): number {
  let count = 0;
  let i = 0;
  let j = 0;
  while ((i < reference.length || j < current.length) && count < limit) {
    const a = i < reference.length ? reference[i]! : Infinity;
    const b = j < current.length ? current[j]! : Infinity;
    const x = a <= b ? a : b;
    while (i < reference.length && reference[i] === x) i++;
    while (j < current.length && current[j] === x) j++;
    count++;
  }
  return count;
}
