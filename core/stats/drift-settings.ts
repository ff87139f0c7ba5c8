// Options of a drift check and their validation: the method (global and per column), thresholds (alpha for
// p-value tests, a distance for distances), the Jensen–Shannon base, and what `auto` decides by.
import type { Correction } from './corrections';
import { CORRECTIONS } from './corrections';
import { DEFAULT_JENSEN_SHANNON_BASE, JENSEN_SHANNON_BASES, type JensenShannonBase } from './jensen-shannon';

export type DriftMethod = 'auto' | 'ks' | 'chisquare' | 'ztest' | 'psi' | 'jensenshannon' | 'wasserstein';
export type TestMethod = Exclude<DriftMethod, 'auto'>;
export type DistanceMethod = 'psi' | 'jensenshannon' | 'wasserstein';
/** Which sample's size decides between p-value tests and distances under auto. */
export type AutoSizeOf = 'reference' | 'smaller';

export const DRIFT_METHODS = ['auto', 'ks', 'chisquare', 'ztest', 'psi', 'jensenshannon', 'wasserstein'] as const satisfies readonly DriftMethod[];
export const P_VALUE_METHODS: readonly TestMethod[] = ['ks', 'chisquare', 'ztest'];
export const DEFAULT_THRESHOLDS: Readonly<Record<DistanceMethod, number>> = { psi: 0.25, jensenshannon: 0.1, wasserstein: 0.1 };
/** Samples up to this many values get p-value tests under auto; larger ones get distances (Evidently: 1000). */
export const SMALL_REFERENCE_MAX = 1000;

/** A column's own method and threshold; either may be left to the check's. */
export interface ColumnOverride {
  method?: DriftMethod;
  threshold?: number;
}

export interface DriftOptions {
  method?: DriftMethod;
  correction?: Correction;
  /** Significance level for p-value methods, in (0, 1); default 0.05. */
  alpha?: number;
  /** Share of drifted columns at which the dataset counts as drifted, in (0, 1]; default 0.5. */
  datasetDriftShare?: number;
  /**
   * Per method: the distance threshold (drift when ≥; defaults psi 0.25, jensenshannon 0.1, wasserstein 0.1),
   * or for ks, chisquare and ztest the significance level of that test (default `alpha`).
   */
  thresholds?: Partial<Record<TestMethod, number>>;
  /** Logarithm base of the Jensen–Shannon distance: 'e' (default; Evidently's, where the 0.1 threshold comes from) or '2'. */
  base?: JensenShannonBase;
  /** auto chooses p-value tests when this sample has ≤ autoTestMaxValues values: 'reference' (Evidently, default) or 'smaller'. */
  autoSizeOf?: AutoSizeOf;
  autoTestMaxValues?: number;
  /** Per-column method and threshold, by column name. */
  columnOverrides?: Record<string, ColumnOverride>;
}

export interface DriftSettings {
  method: DriftMethod;
  correction: Correction;
  alpha: number;
  datasetDriftShare: number;
  thresholds: Record<TestMethod, number>;
  base: JensenShannonBase;
  autoSizeOf: AutoSizeOf;
  autoTestMaxValues: number;
  columnOverrides: Record<string, ColumnOverride>;
}

export function isPValueMethod(method: TestMethod): boolean {
  return P_VALUE_METHODS.includes(method);
}

function checkMethod(method: unknown, where: string): DriftMethod {
  if (!DRIFT_METHODS.includes(method as DriftMethod))
    throw new Error(`drift: unknown method ${JSON.stringify(method)}${where}; use one of ${DRIFT_METHODS.join(', ')}`);
  return method as DriftMethod;
}

/** A threshold of `method`: a significance level in (0, 1) for p-value tests, a positive distance otherwise. */
export function checkThreshold(method: TestMethod, value: unknown, where: string): number {
  if (isPValueMethod(method)) {
    if (typeof value !== 'number' || !(value > 0 && value < 1))
      throw new Error(`drift: threshold ${method}${where} is a significance level and must be a number in (0, 1), got ${value}`);
    return value;
  }
  const upper = method === 'jensenshannon' ? 1 : Infinity;
  if (typeof value !== 'number' || !(value > 0 && value <= upper && Number.isFinite(value))) {
    throw new Error(`drift: threshold ${method}${where} must be a number in (0, ${upper === 1 ? '1]' : '∞)'}, got ${value}`);
  }
  return value;
}

function checkOverrides(raw: Record<string, ColumnOverride> | undefined): Record<string, ColumnOverride> {
  const out: [string, ColumnOverride][] = [];
  for (const [name, o] of Object.entries(raw ?? {})) {
    if (typeof o !== 'object' || o === null) throw new Error(`drift: the override of column "${name}" must be an object {method?, threshold?}`);
    const method = o.method === undefined ? undefined : checkMethod(o.method, ` for column "${name}"`);
    if (o.threshold !== undefined && (method === undefined || method === 'auto')) {
      throw new Error(
        `drift: column "${name}" sets a threshold without a method; a threshold means alpha for ks/chisquare/ztest and a distance otherwise, so name the method too`,
      );
    }
    if (o.threshold !== undefined) checkThreshold(method as TestMethod, o.threshold, ` for column "${name}"`);
    out.push([name, { ...(method ? { method } : {}), ...(o.threshold !== undefined ? { threshold: o.threshold } : {}) }]);
  }
  return Object.fromEntries(out);
}

export function settingsFrom(opts: DriftOptions): DriftSettings {
  const method = checkMethod(opts.method ?? 'auto', '');
  const correction = opts.correction ?? 'none';
  if (!CORRECTIONS.includes(correction)) throw new Error(`drift: unknown correction ${JSON.stringify(correction)}; use one of ${CORRECTIONS.join(', ')}`);
  const alpha = opts.alpha ?? 0.05;
  if (typeof alpha !== 'number' || !(alpha > 0 && alpha < 1)) throw new Error(`drift: alpha must be a number in (0, 1), got ${alpha}`);
  const datasetDriftShare = opts.datasetDriftShare ?? 0.5;
  if (typeof datasetDriftShare !== 'number' || !(datasetDriftShare > 0 && datasetDriftShare <= 1)) {
    throw new Error(`drift: datasetDriftShare must be a number in (0, 1], got ${datasetDriftShare}`);
  }
  const thresholds: Record<TestMethod, number> = { ks: alpha, chisquare: alpha, ztest: alpha, ...DEFAULT_THRESHOLDS };
  for (const [key, value] of Object.entries(opts.thresholds ?? {})) {
    if (!Object.hasOwn(thresholds, key))
      throw new Error(`drift: unknown threshold ${JSON.stringify(key)}; thresholds exist for ${Object.keys(thresholds).join(', ')}`);
    if (value === undefined) continue;
    thresholds[key as TestMethod] = checkThreshold(key as TestMethod, value, '');
  }
  const base = opts.base ?? DEFAULT_JENSEN_SHANNON_BASE;
  if (!JENSEN_SHANNON_BASES.includes(base)) throw new Error(`drift: base must be "e" or "2", got ${JSON.stringify(base)}`);
  const autoSizeOf = opts.autoSizeOf ?? 'reference';
  if (autoSizeOf !== 'reference' && autoSizeOf !== 'smaller')
    throw new Error(`drift: autoSizeOf must be "reference" or "smaller", got ${JSON.stringify(autoSizeOf)}`);
  const autoTestMaxValues = opts.autoTestMaxValues ?? SMALL_REFERENCE_MAX;
  if (!Number.isInteger(autoTestMaxValues) || autoTestMaxValues < 0)
    throw new Error(`drift: autoTestMaxValues must be a whole number ≥ 0, got ${autoTestMaxValues}`);
  return {
    method,
    correction,
    alpha,
    datasetDriftShare,
    thresholds,
    base,
    autoSizeOf,
    autoTestMaxValues,
    columnOverrides: checkOverrides(opts.columnOverrides),
  };
}
