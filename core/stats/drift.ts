/**
 * Column and dataset drift between a reference and a current sample.
 *
 * Method per column with `method: 'auto'` (Evidently's defaults):
 * - A numeric column with at most 5 distinct values (over both samples) is treated as categorical.
 * - A sample of ≤ autoTestMaxValues (1000) non-missing values: numeric → two-sample Kolmogorov–Smirnov;
 *   categorical → chi-squared (2×k homogeneity test), or the two-proportion z-test when there are at most
 *   2 categories over both samples. Drift when the p-value, after the correction, is < alpha (0.05).
 * - A larger sample: numeric → Wasserstein-1 distance divided by the reference std; categorical →
 *   Jensen–Shannon distance (base e by default, as Evidently). Drift when the distance is ≥ 0.1.
 *   Which sample counts is `autoSizeOf`: the reference (Evidently, `mlops drift`) or the smaller of the two
 *   (the monitor, whose window decides how finely a test can resolve a shift).
 * - PSI (never chosen by auto): drift when ≥ 0.25, a "major" shift (< 0.1 stable, 0.1–0.25 moderate).
 * A forced method (for all columns, or one column's override) is used where it fits — ks, wasserstein:
 * numeric; chisquare: categorical; ztest: categorical with ≤ 2 categories; psi, jensenshannon: both, numeric
 * values binned at 10 reference quantiles — and auto picks for the others; each column reports the method
 * it got and why. Corrections (none, bonferroni, bh) run over the columns tested with p-values only;
 * distance methods report pValue = adjustedPValue = null. Dataset drift when drifted columns / all columns
 * ≥ datasetDriftShare. Missing values (NaN, null) are dropped per column before anything else.
 */
import type { CategoryCounts } from './category-counts';
import { countCategories, countSortedValues, distinctValuesUpTo } from './category-counts';
import { chiSquareContingency } from './chisquare';
import type { Correction } from './corrections';
import { adjustPValues } from './corrections';
import { isPValueMethod, settingsFrom, type DriftMethod, type DriftOptions, type DriftSettings, type TestMethod } from './drift-settings';
import { jensenShannonDistance, type JensenShannonBase } from './jensen-shannon';
import { ksTwoSampleSorted } from './ks';
import { twoProportionZTest } from './proportions';
import { populationStabilityIndex } from './psi';
import { binCountsSorted, referenceQuantileEdges } from './quantile-bins';
import type { SortBuffers } from './sort';
import { sortBuffers, sortedWithoutNaN } from './sort';
import { normedWassersteinSorted } from './wasserstein';

export type { Correction } from './corrections';
export type { ColumnOverride, DriftMethod, DriftOptions } from './drift-settings';
export { DEFAULT_THRESHOLDS, DRIFT_METHODS, SMALL_REFERENCE_MAX } from './drift-settings';

export type DriftColumn =
  | { name: string; kind: 'numeric'; reference: Float64Array; current: Float64Array } // NaN = missing, ignored
  | { name: string; kind: 'categorical'; reference: (string | null)[]; current: (string | null)[] }; // null = missing
export interface ColumnDrift {
  name: string;
  /** How the column was tested: a numeric column with ≤ 5 distinct values is 'categorical'. */
  type: 'numeric' | 'categorical';
  method: TestMethod;
  /** Why this method: the user's choice (global or for the column), or auto's rule and the sizes it saw. */
  reason: string;
  /** KS D, chi-squared χ², z, PSI, Jensen–Shannon distance (in `base`), or normed Wasserstein distance. */
  statistic: number;
  pValue: number | null;
  adjustedPValue: number | null;
  /** The significance level for p-value methods, the distance threshold otherwise. */
  threshold: number;
  drifted: boolean;
  /** Non-missing values in each sample. */
  referenceCount: number;
  currentCount: number;
}
export interface DriftReport {
  columns: ColumnDrift[];
  driftedShare: number;
  datasetDrift: boolean;
  correction: Correction;
  alpha: number;
  /** The Jensen–Shannon logarithm base of the report's jensenshannon statistics. */
  base: JensenShannonBase;
}

/** Numeric columns with at most this many distinct values are tested as categorical. */
export const CATEGORICAL_MAX_DISTINCT = 5;
/** Bins at reference quantiles when PSI or Jensen–Shannon is forced onto a numeric column. */
export const NUMERIC_BINS = 10;

/**
 * What the numeric tests need of a column's two samples. `sortedPair` answers from the sorted samples;
 * core/stats/merged-drift.ts answers from merged quantile sketches of partitioned data.
 */
export interface NumericPair {
  referenceCount: number;
  currentCount: number;
  ks(): { statistic: number; pValue: number };
  /** Wasserstein-1 divided by max(std(reference), 0.001). */
  normedWasserstein(): number;
  /** Counts of both samples in `bins` bins at the reference quantiles. */
  histogram(bins: number): { reference: Float64Array; current: Float64Array };
}

/** A column after dropping missing values: its numeric samples, or aligned category counts. */
export type Prepared = { name: string; type: 'numeric'; pair: NumericPair } | { name: string; type: 'categorical'; counts: CategoryCounts<string | number> };

/** The numeric tests on two ascending-sorted samples without NaN (valid while the arrays are). */
export function sortedPair(reference: Float64Array, current: Float64Array): NumericPair {
  return {
    referenceCount: reference.length,
    currentCount: current.length,
    ks: () => ksTwoSampleSorted(reference, current),
    normedWasserstein: () => normedWassersteinSorted(reference, current),
    histogram: (bins) => {
      const edges = referenceQuantileEdges(reference, bins);
      return { reference: binCountsSorted(reference, edges), current: binCountsSorted(current, edges) };
    },
  };
}

function emptySample(name: string, which: 'reference' | 'current', missing: string): Error {
  return new Error(`drift: column "${name}": the ${which} sample is empty after dropping missing (${missing}) values; drop the column or supply data`);
}

/**
 * Buffers for the sorted samples of one numeric column at a time, sized for the longest sample and reused
 * column after column: a 1M-row check then allocates them once instead of 40 MB of arrays per column.
 */
interface Workspace {
  reference: Float64Array;
  current: Float64Array;
  sort: SortBuffers;
}

function workspaceFor(columns: DriftColumn[]): Workspace {
  let capacity = 0;
  for (const c of columns) {
    if (c.kind === 'numeric' && c.reference instanceof Float64Array && c.current instanceof Float64Array) {
      capacity = Math.max(capacity, c.reference.length, c.current.length);
    }
  }
  return { reference: new Float64Array(capacity), current: new Float64Array(capacity), sort: sortBuffers(capacity) };
}

/** Prepares one column; a numeric column's sorted samples are views of `work` until the next call. */
function prepare(column: DriftColumn, work: Workspace): Prepared {
  const { name } = column;
  if (column.kind === 'numeric') {
    if (!(column.reference instanceof Float64Array) || !(column.current instanceof Float64Array)) {
      throw new Error(`drift: column "${name}" is numeric, so reference and current must be Float64Arrays`);
    }
    const reference = sortedWithoutNaN(column.reference, work.reference, work.sort);
    const current = sortedWithoutNaN(column.current, work.current, work.sort);
    for (const [which, sample] of [
      ['reference', reference],
      ['current', current],
    ] as const) {
      if (sample.length === 0) throw emptySample(name, which, 'NaN');
      if (sample[0] === -Infinity || sample[sample.length - 1] === Infinity) {
        throw new Error(`drift: column "${name}": the ${which} sample contains ±Infinity; replace it or mark it missing (NaN)`);
      }
    }
    if (distinctValuesUpTo(reference, current, CATEGORICAL_MAX_DISTINCT + 1) <= CATEGORICAL_MAX_DISTINCT) {
      return { name, type: 'categorical', counts: countSortedValues(reference, current) };
    }
    return { name, type: 'numeric', pair: sortedPair(reference, current) };
  }
  if (column.kind === 'categorical') {
    if (!Array.isArray(column.reference) || !Array.isArray(column.current)) {
      throw new Error(`drift: column "${name}" is categorical, so reference and current must be arrays of string | null`);
    }
    const counts = countCategories(column.reference, column.current);
    if (counts.referenceTotal === 0) throw emptySample(name, 'reference', 'null');
    if (counts.currentTotal === 0) throw emptySample(name, 'current', 'null');
    return { name, type: 'categorical', counts };
  }
  throw new Error(
    `drift: column "${(column as { name: string }).name}" has kind ${JSON.stringify((column as { kind: unknown }).kind)}; use 'numeric' or 'categorical'`,
  );
}

function referenceSize(c: Prepared): number {
  return c.type === 'numeric' ? c.pair.referenceCount : c.counts.referenceTotal;
}

function currentSize(c: Prepared): number {
  return c.type === 'numeric' ? c.pair.currentCount : c.counts.currentTotal;
}

function fits(method: TestMethod, c: Prepared): boolean {
  switch (method) {
    case 'ks':
    case 'wasserstein':
      return c.type === 'numeric';
    case 'chisquare':
      return c.type === 'categorical';
    case 'ztest':
      return c.type === 'categorical' && c.counts.keys.length <= 2;
    case 'psi':
    case 'jensenshannon':
      return true;
  }
}

/** auto's rule: p-value tests for samples small enough that they do not flag negligible shifts, distances beyond. */
function autoChoice(c: Prepared, settings: DriftSettings): { method: TestMethod; reason: string } {
  const size = settings.autoSizeOf === 'reference' ? referenceSize(c) : Math.min(referenceSize(c), currentSize(c));
  const sample = settings.autoSizeOf === 'reference' ? 'reference' : 'smaller sample';
  const small = size <= settings.autoTestMaxValues;
  const rule = `auto: ${sample} of ${size} values ${small ? '≤' : '>'} ${settings.autoTestMaxValues}`;
  if (small) {
    if (c.type === 'numeric') return { method: 'ks', reason: `${rule}, numeric → KS test` };
    const binary = c.counts.keys.length <= 2;
    return {
      method: binary ? 'ztest' : 'chisquare',
      reason: `${rule}, categorical with ${c.counts.keys.length} categories → ${binary ? 'two-proportion z-test' : 'chi-squared test'}`,
    };
  }
  if (c.type === 'numeric') return { method: 'wasserstein', reason: `${rule}, numeric → normed Wasserstein distance` };
  return { method: 'jensenshannon', reason: `${rule}, categorical → Jensen–Shannon distance (base ${settings.base})` };
}

/** The user's method for this column (its override, else the check's), or auto's when none is given or it does not fit. */
function chooseMethod(c: Prepared, settings: DriftSettings): { method: TestMethod; reason: string; threshold?: number } {
  const override = Object.hasOwn(settings.columnOverrides, c.name) ? settings.columnOverrides[c.name] : undefined;
  const wanted: DriftMethod = override?.method ?? settings.method;
  const source = override?.method ? 'column override' : 'chosen';
  if (wanted !== 'auto') {
    if (fits(wanted, c))
      return { method: wanted, reason: `${source}: ${wanted}`, ...(override?.threshold !== undefined ? { threshold: override.threshold } : {}) };
    const auto = autoChoice(c, settings);
    return {
      ...auto,
      reason: `${wanted} does not fit a ${c.type} column${c.type === 'categorical' ? ` with ${c.counts.keys.length} categories` : ''}; ${auto.reason}`,
    };
  }
  return autoChoice(c, settings);
}

/** Aligned reference/current counts: categories, or numeric values binned at reference quantiles. */
function histogramOf(c: Prepared): { reference: Float64Array; current: Float64Array } {
  return c.type === 'categorical' ? c.counts : c.pair.histogram(NUMERIC_BINS);
}

function measure(c: Prepared, method: TestMethod, base: JensenShannonBase): { statistic: number; pValue: number | null } {
  switch (method) {
    case 'ks': {
      if (c.type !== 'numeric') break;
      const r = c.pair.ks();
      return { statistic: r.statistic, pValue: r.pValue };
    }
    case 'wasserstein':
      if (c.type !== 'numeric') break;
      return { statistic: c.pair.normedWasserstein(), pValue: null };
    case 'chisquare': {
      if (c.type !== 'categorical') break;
      const r = chiSquareContingency(c.counts.reference, c.counts.current);
      return { statistic: r.statistic, pValue: r.pValue };
    }
    case 'ztest': {
      if (c.type !== 'categorical') break;
      // Success = the first category in sorted order; z > 0 when the current sample has more of it.
      const { reference, current, referenceTotal, currentTotal } = c.counts;
      const r = twoProportionZTest(current[0]!, currentTotal, reference[0]!, referenceTotal);
      return { statistic: r.statistic, pValue: r.pValue };
    }
    case 'psi': {
      const h = histogramOf(c);
      return { statistic: populationStabilityIndex(h.reference, h.current), pValue: null };
    }
    case 'jensenshannon': {
      const h = histogramOf(c);
      return { statistic: jensenShannonDistance(h.reference, h.current, base), pValue: null };
    }
  }
  throw new Error(`drift: column "${c.name}": method ${method} does not fit a ${c.type} column`);
}

function checkColumns(columns: DriftColumn[]): void {
  if (!Array.isArray(columns) || columns.length === 0) throw new Error('drift: no columns to compare; pass at least one column');
  const seen = new Set<string>();
  columns.forEach((c, i) => {
    if (typeof c?.name !== 'string' || c.name === '') throw new Error(`drift: column ${i} has no name`);
    if (seen.has(c.name)) throw new Error(`drift: column "${c.name}" appears twice; column names must be unique`);
    seen.add(c.name);
  });
}

export function detectDrift(columns: DriftColumn[], opts: DriftOptions = {}): DriftReport {
  checkColumns(columns);
  const work = workspaceFor(columns);
  // One column at a time: each column's sorted samples live in `work` only while it is measured.
  return driftReport(columns, (column) => prepare(column, work), opts);
}

/** The report over columns prepared one at a time (each column's data need live only while it is measured). */
export function driftReport<T>(columns: readonly T[], prepareColumn: (column: T) => Prepared, opts: DriftOptions = {}): DriftReport {
  const settings = settingsFrom(opts);
  const measured = columns.map((column) => {
    const c = prepareColumn(column);
    const { method, reason, threshold } = chooseMethod(c, settings);
    return {
      name: c.name,
      type: c.type,
      method,
      reason,
      threshold: threshold ?? settings.thresholds[method],
      referenceCount: referenceSize(c),
      currentCount: currentSize(c),
      ...measure(c, method, settings.base),
    };
  });
  const tested = measured.flatMap((m, i) => (m.pValue === null ? [] : [i]));
  const adjusted = adjustPValues(
    tested.map((i) => measured[i]!.pValue!),
    settings.correction,
  );
  const adjustedByColumn = new Map(tested.map((i, k) => [i, adjusted[k]!]));
  const results: ColumnDrift[] = measured.map((m, i) => {
    const adjustedPValue = adjustedByColumn.get(i) ?? null;
    const drifted = isPValueMethod(m.method) ? adjustedPValue! < m.threshold : m.statistic >= m.threshold;
    return {
      name: m.name,
      type: m.type,
      method: m.method,
      reason: m.reason,
      statistic: m.statistic,
      pValue: m.pValue,
      adjustedPValue,
      threshold: m.threshold,
      drifted,
      referenceCount: m.referenceCount,
      currentCount: m.currentCount,
    };
  });
  const driftedShare = results.filter((r) => r.drifted).length / results.length;
  return {
    columns: results,
    driftedShare,
    datasetDrift: driftedShare >= settings.datasetDriftShare,
    correction: settings.correction,
    alpha: settings.alpha,
    base: settings.base,
  };
}
