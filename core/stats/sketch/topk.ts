// Mergeable top-k with error bounds (the Misra–Gries / frequent-items merge). Each summary lists values with
// a lower bound on their count and `floor`, an upper bound on the count of any value it does not list. Merged,
// a value's count lies in [count, count + error]; a summary with floor 0 is complete (every value, exactly).

export interface TopKItem {
  value: string;
  /** Lower bound on the count. */
  count: number;
  /** The count is at most count + error. */
  error: number;
}

export interface TopKSummary {
  capacity: number;
  items: TopKItem[];
  /** Any value not listed occurs at most this many times. */
  floor: number;
}

export const DEFAULT_TOPK_CAPACITY = 256;

/** From exact counts sorted by count descending; `more` = the count of the first value left out (0 if none). */
export function topKFromCounts(counts: { value: string; count: number }[], capacity: number, more: number): TopKSummary {
  return { capacity, items: counts.slice(0, capacity).map((c) => ({ value: c.value, count: c.count, error: 0 })), floor: more };
}

export function topKOfValues(values: Iterable<string>, capacity = DEFAULT_TOPK_CAPACITY): TopKSummary {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  const sorted = [...counts].map(([value, count]) => ({ value, count })).sort(byCount);
  return topKFromCounts(sorted, capacity, sorted[capacity]?.count ?? 0);
}

const byCount = (a: { value: string; count: number }, b: { value: string; count: number }): number =>
  b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0);

export function topKMerge(a: TopKSummary, b: TopKSummary): TopKSummary {
  const capacity = Math.max(a.capacity, b.capacity);
  const merged = new Map<string, TopKItem>();
  const add = (from: TopKSummary, other: TopKSummary): void => {
    const listedInOther = new Set(other.items.map((i) => i.value));
    for (const item of from.items) {
      const cur = merged.get(item.value) ?? { value: item.value, count: 0, error: listedInOther.has(item.value) ? 0 : other.floor };
      merged.set(item.value, { value: item.value, count: cur.count + item.count, error: cur.error + item.error });
    }
  };
  add(a, b);
  add(b, a);
  const all = [...merged.values()].sort(byCount);
  const dropped = all.slice(capacity);
  const floor = Math.max(a.floor + b.floor, ...dropped.map((d) => d.count + d.error));
  return { capacity, items: all.slice(0, capacity), floor };
}

/** The k most frequent values (by lower-bound count). */
export function topKItems(s: TopKSummary, k: number): TopKItem[] {
  return s.items.slice(0, k);
}

/** Every value with its exact count, when the summary is complete; otherwise undefined. */
export function topKComplete(s: TopKSummary): TopKItem[] | undefined {
  return s.floor === 0 && s.items.every((i) => i.error === 0) ? s.items : undefined;
}
