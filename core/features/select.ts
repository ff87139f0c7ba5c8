// Feature selection by statistics: too many missing values, (near-)constant, or highly correlated with a
// feature already kept. Every dropped feature carries its reason. Model-based ranking is optional and
// supplied by the caller (it needs a trainer).
import { sampleCorrelation, variance } from 'simple-statistics';
import type { DataColumn } from '../data/columns';

export interface SelectionSpec {
  maxMissingFraction?: number;
  /** A categorical feature whose most frequent value covers at least this share is near-constant. */
  maxTopShare?: number;
  maxCorrelation?: number;
  /** Rows used for correlations and categorical top shares (an even stride over the data). */
  sampleRows?: number;
  /** Keep only the top-k features by model importance (computed by the caller on a sample). */
  topK?: number;
}

export const SELECTION_DEFAULTS = { maxMissingFraction: 0.5, maxTopShare: 0.995, maxCorrelation: 0.95, sampleRows: 200_000 };

export interface FeatureStat {
  name: string;
  kind: 'numeric' | 'categorical';
  missingFraction: number;
  variance?: number;
  topShare?: number;
}

export interface SelectionResult {
  selected: string[];
  dropped: { name: string; reason: string }[];
  stats: FeatureStat[];
}

/** simple-statistics reads only `length` and indices, so typed arrays go in without a copy. */
const numbers = (x: Float64Array): readonly number[] => x as unknown as readonly number[];

/** The finite values among the first `rows` of `values` (the same array when all are finite). */
function finiteValues(values: Float64Array, rows: number): Float64Array {
  const head = values.subarray(0, rows);
  let n = 0;
  for (let i = 0; i < rows; i++) if (Number.isFinite(head[i]!)) n++;
  if (n === rows) return head;
  const out = new Float64Array(n);
  for (let i = 0, k = 0; i < rows; i++) if (Number.isFinite(head[i]!)) out[k++] = head[i]!;
  return out;
}

/** Missing fraction and population variance of the finite values. */
export function numericStat(c: Extract<DataColumn, { kind: 'numeric' }>, rows: number): FeatureStat {
  const finite = finiteValues(c.values, rows);
  return {
    name: c.name,
    kind: 'numeric',
    missingFraction: rows === 0 ? 1 : (rows - finite.length) / rows,
    variance: finite.length > 0 ? variance(numbers(finite)) : 0,
  };
}

/** Missing fraction over every row; the top value's share over the stride sample (an estimate on big data). */
export function categoricalStat(c: Extract<DataColumn, { kind: 'categorical' }>, rows: number, sample: Int32Array): FeatureStat {
  let missing = 0;
  for (let i = 0; i < rows; i++) if (c.values[i] === null || c.values[i] === undefined) missing++;
  const counts = new Map<string, number>();
  let present = 0;
  for (let k = 0; k < sample.length; k++) {
    const v = c.values[sample[k]!];
    if (v === null || v === undefined) continue;
    present++;
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  let top = 0;
  for (const n of counts.values()) if (n > top) top = n;
  return { name: c.name, kind: 'categorical', missingFraction: rows === 0 ? 1 : missing / rows, topShare: present === 0 ? 1 : top / present };
}

/** Pearson correlation over the rows `idx` where both are finite; 0 below three such rows or for a constant. */
export function correlation(a: Float64Array, b: Float64Array, idx: Int32Array): number {
  const x = new Float64Array(idx.length);
  const y = new Float64Array(idx.length);
  let n = 0;
  for (let k = 0; k < idx.length; k++) {
    const u = a[idx[k]!]!;
    const v = b[idx[k]!]!;
    if (!Number.isFinite(u) || !Number.isFinite(v)) continue;
    x[n] = u;
    y[n++] = v;
  }
  if (n < 3) return 0;
  const r = sampleCorrelation(numbers(x.subarray(0, n)), numbers(y.subarray(0, n)));
  return Number.isFinite(r) ? r : 0;
}

export function strideSample(rows: number, max: number): Int32Array {
  const n = Math.min(rows, max);
  const idx = new Int32Array(n);
  for (let k = 0; k < n; k++) idx[k] = Math.floor((k * rows) / n);
  return idx;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Selects among `features` (in plan order). `importance`, when given, ranks the survivors (higher is more
 * important) for `spec.topK`. Each column's pass over the rows ends with a turn of the event loop: all of
 * them at once would hold it for seconds at 10M rows.
 */
export async function selectFeatures(
  features: DataColumn[],
  rows: number,
  spec: SelectionSpec = {},
  importance?: Map<string, number>,
): Promise<SelectionResult> {
  const s = { ...SELECTION_DEFAULTS, ...spec };
  const sample = strideSample(rows, s.sampleRows);
  const stats: FeatureStat[] = [];
  for (const c of features) {
    stats.push(c.kind === 'numeric' ? numericStat(c, rows) : categoricalStat(c, rows, sample));
    await nextTurn();
  }
  return chooseFeatures(features, sample, stats, spec, importance);
}

/**
 * The selection rules over computed statistics (`stats[i]` of `features[i]`); correlations are measured on the
 * rows `sample` of `features` (the stride sample: core/features/select-table.ts passes columns holding only it).
 */
export async function chooseFeatures(
  features: DataColumn[],
  sample: Int32Array,
  stats: FeatureStat[],
  spec: SelectionSpec = {},
  importance?: Map<string, number>,
): Promise<SelectionResult> {
  const s = { ...SELECTION_DEFAULTS, ...spec };
  const dropped: { name: string; reason: string }[] = [];
  const kept: DataColumn[] = [];
  for (const [i, c] of features.entries()) {
    const st = stats[i]!;
    if (st.missingFraction > s.maxMissingFraction) {
      dropped.push({
        name: c.name,
        reason: `missing in ${(st.missingFraction * 100).toFixed(1)}% of rows (limit ${(s.maxMissingFraction * 100).toFixed(1)}%)`,
      });
      continue;
    }
    if (st.kind === 'numeric' && st.variance! <= 1e-12) {
      dropped.push({ name: c.name, reason: 'constant (zero variance)' });
      continue;
    }
    if (st.kind === 'categorical' && st.topShare! >= s.maxTopShare) {
      dropped.push({ name: c.name, reason: `near-constant: one value in ${(st.topShare! * 100).toFixed(2)}% of rows` });
      continue;
    }
    if (c.kind === 'numeric') {
      let partner: { name: string; r: number } | undefined;
      for (const k of kept) {
        if (k.kind !== 'numeric') continue;
        const r = correlation(c.values, k.values, sample);
        await nextTurn();
        if (Math.abs(r) > s.maxCorrelation) {
          partner = { name: k.name, r };
          break;
        }
      }
      if (partner) {
        dropped.push({ name: c.name, reason: `correlated (r = ${partner.r.toFixed(3)}) with ${partner.name}, which is kept` });
        continue;
      }
    }
    kept.push(c);
  }
  let selected = kept.map((c) => c.name);
  if (s.topK !== undefined && importance && selected.length > s.topK) {
    const ranked = [...selected].sort((a, b) => (importance.get(b) ?? 0) - (importance.get(a) ?? 0) || a.localeCompare(b));
    const keep = new Set(ranked.slice(0, s.topK));
    for (const [rank, name] of ranked.entries()) {
      if (!keep.has(name)) dropped.push({ name, reason: `importance rank ${rank + 1} of ${ranked.length} (keeping the top ${s.topK})` });
    }
    selected = selected.filter((n) => keep.has(n));
  }
  return { selected, dropped, stats };
}
