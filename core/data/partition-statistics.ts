// Merging partition summaries, and the merged summary as the DatasetStatistics a single pass gives. Counts,
// means, std, min and max are exact; quantiles and histograms come from the KLL sketch (rank error within
// kllRankErrorBound), distinct counts from HyperLogLog (0.81% standard error) unless top-k saw every value.
import { hllEstimate, hllFromBase64, hllMerge, hllToBase64 } from '../stats/sketch/hll';
import { kllMerge, kllQuantiles } from '../stats/sketch/kll';
import { mergeMoments, sampleStd } from '../stats/sketch/moments';
import { topKComplete, topKMerge } from '../stats/sketch/topk';
import type { ColumnSummary, PartitionSummary, SchemaChecks } from './partition-summary';
import { MAX_DOMAIN_SIZE } from './schema';
import { DataError } from './source';
import { QUANTILES, type ColumnStatistics, type DatasetStatistics } from './statistics';

const HISTOGRAM_BINS = 20;
const TOP_K = 20;

function mergeColumn(a: ColumnSummary, b: ColumnSummary): ColumnSummary {
  const out: ColumnSummary = { ...a, count: a.count + b.count, distinctHll: hllToBase64(hllMerge(hllFromBase64(a.distinctHll), hllFromBase64(b.distinctHll))) };
  if (a.nan !== undefined) out.nan = a.nan + (b.nan ?? 0);
  if (a.infinite !== undefined) out.infinite = a.infinite + (b.infinite ?? 0);
  if (a.moments && b.moments) out.moments = mergeMoments(a.moments, b.moments);
  if (a.kll && b.kll) out.kll = kllMerge(a.kll, b.kll);
  if (a.topK && b.topK) out.topK = topKMerge(a.topK, b.topK);
  if (a.minText !== undefined) out.minText = [a.minText, b.minText].filter((v): v is string => typeof v === 'string').sort()[0] ?? null;
  if (a.maxText !== undefined)
    out.maxText =
      [a.maxText, b.maxText]
        .filter((v): v is string => typeof v === 'string')
        .sort()
        .at(-1) ?? null;
  return out;
}

/** Partitions in order; they must agree on column names and types. */
export function mergeSummaries(parts: { name: string; summary: PartitionSummary }[]): PartitionSummary {
  if (parts.length === 0) throw new DataError('no partitions to merge');
  const first = parts[0]!;
  const shape = (s: PartitionSummary): string => s.columns.map((c) => `${c.name}:${c.type}`).join(', ');
  let merged = first.summary;
  for (const p of parts.slice(1)) {
    if (shape(p.summary) !== shape(first.summary)) {
      throw new DataError(
        `partition ${p.name} has columns (${shape(p.summary)}) but ${first.name} has (${shape(first.summary)}); every partition needs the same columns and types`,
      );
    }
    merged = {
      rows: merged.rows + p.summary.rows,
      columns: merged.columns.map((c, i) => mergeColumn(c, p.summary.columns[i]!)),
    };
  }
  return merged;
}

function histogramOf(c: ColumnSummary, min: number, max: number): { edges: number[]; counts: number[] } {
  const bins = min === max ? 1 : HISTOGRAM_BINS;
  const width = max / bins - min / bins || 1;
  const edges = Array.from({ length: bins + 1 }, (_, k) => (k === bins ? max : min + k * width));
  // Each sketch item goes to the bin the single pass's SQL puts its value in (the same floating-point steps,
  // so values on an edge land alike); the weights are scaled to n and rounded cumulatively to add up to n.
  const weights = new Array<number>(bins).fill(0);
  let total = 0;
  c.kll!.levels.forEach((level, h) => {
    for (const v of level) {
      const b = Math.min(Math.max(Math.floor(((v / bins - min / bins) / width) * bins), 0), bins - 1);
      weights[b]! += 2 ** h;
      total += 2 ** h;
    }
  });
  const n = c.moments!.count;
  let before = 0;
  let cumulative = 0;
  const counts = weights.map((w) => {
    cumulative += w;
    const upTo = Math.round((n * cumulative) / (total || 1));
    const count = upTo - before;
    before = upTo;
    return count;
  });
  return { edges, counts };
}

export function toDatasetStatistics(merged: PartitionSummary): DatasetStatistics {
  const rows = merged.rows;
  const columns = merged.columns.map((c): ColumnStatistics => {
    const complete = c.topK ? topKComplete(c.topK) : undefined;
    const s: ColumnStatistics = {
      name: c.name,
      type: c.type,
      kind: c.kind,
      count: c.count,
      missing: rows - c.count,
      missingFraction: rows === 0 ? 0 : (rows - c.count) / rows,
      distinct: complete ? complete.length : Math.min(hllEstimate(hllFromBase64(c.distinctHll)), c.count),
    };
    if (c.kind === 'numeric') {
      const m = c.moments!;
      s.nan = c.nan ?? 0;
      s.infinite = c.infinite ?? 0;
      s.mean = m.count === 0 ? null : m.mean;
      s.std = sampleStd(m);
      s.min = m.min;
      s.max = m.max;
      const q = kllQuantiles(c.kll!, QUANTILES);
      s.quantiles = Object.fromEntries(QUANTILES.map((p, k) => [`p${Math.round(p * 100)}`, q[k] ?? null]));
      if (m.min !== null && m.max !== null) s.histogram = histogramOf(c, m.min, m.max);
    } else if (c.kind === 'date' || c.kind === 'timestamp') {
      s.min = c.minText ?? null;
      s.max = c.maxText ?? null;
    }
    if (c.topK) s.topK = c.topK.items.slice(0, TOP_K).map((t) => ({ value: t.value, count: t.count }));
    return s;
  });
  return { rows, columns };
}

/** Categorical domains for the observed schema: every value of a column whose top-k is complete and small. */
export function domainsOf(merged: PartitionSummary): Record<string, string[] | undefined> {
  const out: Record<string, string[] | undefined> = {};
  for (const c of merged.columns) {
    if (!c.topK) continue;
    const all = topKComplete(c.topK);
    out[c.name] = all && all.length <= MAX_DOMAIN_SIZE ? all.map((t) => t.value).sort() : undefined;
  }
  return out;
}

/** The partitions' schema checks summed, when every partition checked against the same schema; else null. */
export function mergeChecks(all: (SchemaChecks | null)[]): SchemaChecks | null {
  const first = all[0];
  if (!first || all.some((c) => c === null || c.schemaSha256 !== first.schemaSha256)) return null;
  return {
    schemaSha256: first.schemaSha256,
    columns: first.columns.map((col, i) => {
      const parts = all.map((c) => c!.columns[i]!);
      const out: SchemaChecks['columns'][number] = { name: col.name };
      if (parts.every((p) => p.unexpected)) {
        out.unexpected = {
          count: parts.reduce((n, p) => n + p.unexpected!.count, 0),
          sample: [...new Set(parts.flatMap((p) => p.unexpected!.sample))].sort().slice(0, 5),
        };
      }
      if (parts.every((p) => p.outOfRange !== undefined)) out.outOfRange = parts.reduce((n, p) => n + p.outOfRange!, 0);
      return out;
    }),
  };
}
