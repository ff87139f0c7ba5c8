// Drift from merged partition summaries (core/data/partition-summary.ts) instead of the rows: the same tests
// and choices as detectDrift, with a numeric column's samples replaced by its merged KLL sketch and moments, and
// a categorical column's by its merged, complete value counts.
//
// Error against the single pass over the same rows, for a reference sketch with rank error εr and a current one
// with εc (kllRankErrorBound(k), 0.37% of n at k = 2048, each with probability ≥ 99% per point):
// - KS D: |D̂ − D| ≤ εr + εc (each empirical CDF is off by at most its sketch's rank error). The p-value is
//   computed from D̂ and the exact counts, as the single pass computes it from D.
// - normed Wasserstein: |Ŵ − W| ≤ (εr + εc) · (max − min) / max(σr, 0.001), since W = ∫ |F − G| dx over the range.
// - PSI and Jensen–Shannon of a numeric column: bins at the sketch's reference deciles (the single pass
//   interpolates between order statistics), each bin's share within 2ε of its count on those edges.
// - chi-squared, z-test, and PSI / Jensen–Shannon of a categorical column: exact (the counts are).
// - A numeric column with ≤ 5 distinct values is categorical as in detectDrift, with exact counts.
// Counts (n, missing values) and the reference std are exact. A categorical column with more distinct values than
// a partition's top-k lists (256) has no exact counts: it is skipped with that reason.
import { columnKind } from '../data/statistics';
import type { ColumnSummary, PartitionSummary } from '../data/partition-summary';
import type { CategoryCounts } from './category-counts';
import { CATEGORICAL_MAX_DISTINCT, driftReport, type DriftOptions, type DriftReport, type NumericPair, type Prepared } from './drift';
import { ksResult } from './ks';
import { kllQuantiles, kllRankErrorBound, kllWeighted, type KllSketch } from './sketch/kll';
import { topKComplete } from './sketch/topk';
import { WASSERSTEIN_MIN_NORM } from './wasserstein';

export interface MergedDriftBounds {
  /** Rank error of each merged sketch (fraction of n). */
  rankError: number;
  /** Per numeric column: the bound on |KS D̂ − D| and on |normed Wasserstein Ŵ − W|. */
  columns: { name: string; ks: number; wasserstein: number }[];
}

export interface MergedDrift {
  report: DriftReport;
  skipped: { name: string; reason: string }[];
  bounds: MergedDriftBounds;
}

/** Step CDFs of two sketches evaluated on the union of their items, in ascending order. */
function* cdfSteps(a: KllSketch, b: KllSketch): Generator<{ x: number; fa: number; fb: number }> {
  const wa = kllWeighted(a);
  const wb = kllWeighted(b);
  let i = 0;
  let j = 0;
  while (i < wa.values.length || j < wb.values.length) {
    const x = Math.min(i < wa.values.length ? wa.values[i]! : Infinity, j < wb.values.length ? wb.values[j]! : Infinity);
    while (i < wa.values.length && wa.values[i]! <= x) i++;
    while (j < wb.values.length && wb.values[j]! <= x) j++;
    yield { x, fa: i === 0 ? 0 : wa.cumulative[i - 1]! / a.n, fb: j === 0 ? 0 : wb.cumulative[j - 1]! / b.n };
  }
}

/** Weight of a sketch's items ≤ x, for each ascending edge. */
function countsAtMost(s: KllSketch, edges: number[]): Float64Array {
  const { values, cumulative } = kllWeighted(s);
  const counts = new Float64Array(edges.length + 1);
  let i = 0;
  let below = 0;
  edges.forEach((e, b) => {
    while (i < values.length && values[i]! <= e) i++;
    const upTo = i === 0 ? 0 : cumulative[i - 1]!;
    counts[b] = upTo - below;
    below = upTo;
  });
  counts[edges.length] = s.n - below;
  return counts;
}

/** The numeric tests from two merged sketches and the reference's exact moments. */
export function sketchPair(reference: ColumnSummary, current: ColumnSummary): NumericPair {
  const r = reference.kll!;
  const c = current.kll!;
  const std = Math.sqrt(reference.moments!.m2 / reference.moments!.count);
  return {
    referenceCount: r.n,
    currentCount: c.n,
    ks: () => {
      let d = 0;
      for (const s of cdfSteps(r, c)) d = Math.max(d, Math.abs(s.fa - s.fb));
      // ksResult takes the integer gap D·n1·n2; the sketch's D is a ratio of weights, so round it.
      return ksResult(r.n, c.n, Math.round(d * r.n * c.n));
    },
    normedWasserstein: () => {
      let area = 0;
      let prev: { x: number; fa: number; fb: number } | undefined;
      for (const s of cdfSteps(r, c)) {
        if (prev) area += Math.abs(prev.fa - prev.fb) * (s.x - prev.x);
        prev = s;
      }
      return area / Math.max(std, WASSERSTEIN_MIN_NORM);
    },
    histogram: (bins) => {
      const edges: number[] = [];
      for (const e of kllQuantiles(
        r,
        Array.from({ length: bins - 1 }, (_, i) => (i + 1) / bins),
      )) {
        if (e !== null && (edges.length === 0 || e > edges[edges.length - 1]!)) edges.push(e);
      }
      return { reference: countsAtMost(r, edges), current: countsAtMost(c, edges) };
    },
  };
}

/** Exact counts of a column's values in both summaries, when both top-k lists are complete. */
function exactCounts(reference: ColumnSummary, current: ColumnSummary, numeric: boolean): CategoryCounts<string | number> | undefined {
  const a = reference.topK && topKComplete(reference.topK);
  const b = current.topK && topKComplete(current.topK);
  if (!a || !b) return undefined;
  const key = (v: string): string | number => (numeric ? Number(v) : v);
  const keep = (v: string | number): boolean => !numeric || Number.isFinite(v);
  const index = new Map<string | number, [number, number]>();
  for (const [side, items] of [a, b].entries()) {
    for (const item of items) {
      const k = key(item.value);
      if (!keep(k)) continue;
      const entry = index.get(k) ?? [0, 0];
      entry[side as 0 | 1] += item.count;
      index.set(k, entry);
    }
  }
  const keys = [...index.keys()].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  const ref = Float64Array.from(keys, (k) => index.get(k)![0]);
  const cur = Float64Array.from(keys, (k) => index.get(k)![1]);
  return { keys, reference: ref, current: cur, referenceTotal: ref.reduce((s, v) => s + v, 0), currentTotal: cur.reduce((s, v) => s + v, 0) };
}

type Plan = { name: string; reference: ColumnSummary; current: ColumnSummary; numeric: boolean };

/** Drift between two merged summaries; `columns` limits the check to those reference columns. */
export function driftFromSummaries(reference: PartitionSummary, current: PartitionSummary, opts: DriftOptions & { columns?: string[] } = {}): MergedDrift {
  const skipped: MergedDrift['skipped'] = [];
  const cur = new Map(current.columns.map((c) => [c.name, c]));
  const refNames = new Set(reference.columns.map((c) => c.name));
  for (const name of opts.columns ?? []) if (!refNames.has(name)) throw new Error(`drift: the reference has no column ${JSON.stringify(name)}`);
  for (const c of current.columns) if (!refNames.has(c.name)) skipped.push({ name: c.name, reason: 'only in the current dataset' });
  const plans: Plan[] = [];
  for (const r of reference.columns) {
    if (opts.columns && !opts.columns.includes(r.name)) continue;
    const c = cur.get(r.name);
    if (!c) {
      skipped.push({ name: r.name, reason: 'missing from the current dataset' });
      continue;
    }
    const kr = columnKind(r.type);
    const kc = columnKind(c.type);
    const group = (k: string): string | undefined => (k === 'numeric' ? 'numeric' : k === 'string' || k === 'boolean' ? 'categorical' : undefined);
    if (kr === 'date' || kr === 'timestamp') {
      skipped.push({ name: r.name, reason: `${r.type} columns are not compared across partitions (no sketch of their values)` });
      continue;
    }
    if (!group(kr) || group(kr) !== group(kc)) {
      skipped.push({ name: r.name, reason: `types differ or are not comparable (${r.type} vs ${c.type})` });
      continue;
    }
    const numeric = group(kr) === 'numeric';
    if (!numeric && !exactCounts(r, c, false)) {
      skipped.push({ name: r.name, reason: 'more distinct values than a partition counts exactly (256); no exact category counts' });
      continue;
    }
    if (numeric && (r.kll?.n ?? 0) === 0)
      throw new Error(`drift: column "${r.name}": the reference sample is empty after dropping missing (NaN) values; drop the column or supply data`);
    if (numeric && (c.kll?.n ?? 0) === 0)
      throw new Error(`drift: column "${r.name}": the current sample is empty after dropping missing (NaN) values; drop the column or supply data`);
    if (!numeric && exactCounts(r, c, false)!.referenceTotal === 0)
      throw new Error(`drift: column "${r.name}": the reference sample is empty after dropping missing (null) values`);
    if (!numeric && exactCounts(r, c, false)!.currentTotal === 0)
      throw new Error(`drift: column "${r.name}": the current sample is empty after dropping missing (null) values`);
    plans.push({ name: r.name, reference: r, current: c, numeric });
  }
  if (plans.length === 0) throw new Error('drift: the two datasets have no comparable columns in common');
  const prepare = (p: Plan): Prepared => {
    if (!p.numeric) return { name: p.name, type: 'categorical', counts: exactCounts(p.reference, p.current, false)! };
    const few = exactCounts(p.reference, p.current, true);
    if (few && few.keys.length <= CATEGORICAL_MAX_DISTINCT) return { name: p.name, type: 'categorical', counts: few };
    return { name: p.name, type: 'numeric', pair: sketchPair(p.reference, p.current) };
  };
  const report = driftReport(plans, prepare, opts);
  const rankError = kllRankErrorBound(plans.find((p) => p.reference.kll)?.reference.kll?.k ?? 2048);
  const bounds: MergedDriftBounds = {
    rankError,
    columns: report.columns
      .filter((col) => col.type === 'numeric')
      .map((col) => {
        const p = plans.find((q) => q.name === col.name)!;
        const m = p.reference.moments!;
        const range = Math.max(m.max!, p.current.moments!.max!) - Math.min(m.min!, p.current.moments!.min!);
        return { name: col.name, ks: 2 * rankError, wasserstein: (2 * rankError * range) / Math.max(Math.sqrt(m.m2 / m.count), WASSERSTEIN_MIN_NORM) };
      }),
  };
  return { report, skipped, bounds };
}
