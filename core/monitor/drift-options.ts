// The monitor's drift settings (spec.monitor.method, threshold, columns, base, autoTestMaxValues) as options
// of detectDrift, and their validation with messages that name the spec field.
//
// Under auto the monitor decides by the SMALLER sample, not the reference (as `mlops drift` and Evidently do):
// its reference is a fixed 5,000-row training sample, so deciding by it would never run KS or chi-squared;
// the window of logged predictions is what limits how finely a shift can be resolved. A window of up to
// `autoTestMaxValues` (1,000) rows gets p-value tests; a larger one gets distances, which do not flag the
// negligible shifts any test finds significant on tens of thousands of rows.
import type { Correction } from '../stats/corrections';
import {
  checkThreshold,
  DRIFT_METHODS,
  P_VALUE_METHODS,
  SMALL_REFERENCE_MAX,
  type ColumnOverride,
  type DriftMethod,
  type DriftOptions,
  type TestMethod,
} from '../stats/drift-settings';
import { DEFAULT_JENSEN_SHANNON_BASE, JENSEN_SHANNON_BASES, type JensenShannonBase } from '../stats/jensen-shannon';

export interface MonitorDriftSpec {
  /** The test on every column it fits (auto picks for the others). */
  method: DriftMethod;
  /** A number: the threshold of `method` (alpha for ks/chisquare/ztest, a distance otherwise); or one per method; null = defaults. */
  threshold: number | Partial<Record<TestMethod, number>> | null;
  /** Per-column method and threshold. */
  columns: Record<string, ColumnOverride>;
  /** Jensen–Shannon logarithm base; 'e' keeps auto's 0.1 threshold on Evidently's scale. */
  base: JensenShannonBase;
  /** auto: p-value tests when the smaller sample has at most this many values. */
  autoTestMaxValues: number;
  /** The multivariate check: a reference-vs-current classifier's held-out AUC against label permutations. */
  domainClassifier: { enabled: boolean; alpha: number; permutations: number };
}

export const MONITOR_DRIFT_DEFAULTS: MonitorDriftSpec = {
  method: 'auto',
  threshold: null,
  columns: {},
  base: DEFAULT_JENSEN_SHANNON_BASE,
  autoTestMaxValues: SMALL_REFERENCE_MAX,
  domainClassifier: { enabled: true, alpha: 0.01, permutations: 999 },
};

export class MonitorSpecError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

function fail(field: string, expected: string, got: unknown): never {
  throw new MonitorSpecError(field, `${field} must be ${expected}, got ${JSON.stringify(got)}`);
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseMethod(v: unknown, field: string): DriftMethod {
  if (!DRIFT_METHODS.includes(v as DriftMethod)) fail(field, `one of ${DRIFT_METHODS.join(', ')}`, v);
  return v as DriftMethod;
}

function parseThreshold(method: TestMethod, v: unknown, field: string): number {
  try {
    return checkThreshold(method, v, '');
  } catch {
    return fail(
      field,
      P_VALUE_METHODS.includes(method)
        ? `a significance level in (0, 1) for ${method}`
        : `a positive distance for ${method}${method === 'jensenshannon' ? ' (at most 1)' : ''}`,
      v,
    );
  }
}

/** Validates the drift fields of spec.monitor (absent fields take the defaults). */
export function parseMonitorDrift(m: Record<string, unknown>): MonitorDriftSpec {
  const method = m.method === undefined ? 'auto' : parseMethod(m.method, 'monitor.method');
  let threshold: MonitorDriftSpec['threshold'] = null;
  if (typeof m.threshold === 'number') {
    if (method === 'auto')
      throw new MonitorSpecError(
        'monitor.threshold',
        'monitor.threshold as a number needs monitor.method other than auto (it is alpha for ks/chisquare/ztest and a distance otherwise); give one per method instead, e.g. {"ks": 0.01, "wasserstein": 0.2}',
      );
    threshold = parseThreshold(method, m.threshold, 'monitor.threshold');
  } else if (isRecord(m.threshold)) {
    threshold = {};
    for (const [k, v] of Object.entries(m.threshold)) {
      if (k === 'auto' || !DRIFT_METHODS.includes(k as DriftMethod)) fail(`monitor.threshold.${k}`, `a method name (${DRIFT_METHODS.slice(1).join(', ')})`, k);
      threshold[k as TestMethod] = parseThreshold(k as TestMethod, v, `monitor.threshold.${k}`);
    }
  } else if (m.threshold !== undefined && m.threshold !== null) fail('monitor.threshold', 'a number or an object of numbers per method', m.threshold);
  const entries: [string, ColumnOverride][] = [];
  if (m.columns !== undefined) {
    if (!isRecord(m.columns)) fail('monitor.columns', 'an object {column: {method?, threshold?}}', m.columns);
    for (const [name, o] of Object.entries(m.columns)) {
      const field = `monitor.columns.${name}`;
      if (!isRecord(o)) fail(field, 'an object {method?, threshold?}', o);
      for (const k of Object.keys(o)) if (k !== 'method' && k !== 'threshold') fail(`${field}.${k}`, 'absent (known fields: method, threshold)', k);
      const colMethod = o.method === undefined ? undefined : parseMethod(o.method, `${field}.method`);
      if (o.threshold !== undefined && (colMethod === undefined || colMethod === 'auto')) {
        throw new MonitorSpecError(
          `${field}.threshold`,
          `${field}.threshold needs ${field}.method (not auto): a threshold is alpha for ks/chisquare/ztest and a distance otherwise`,
        );
      }
      entries.push([
        name,
        {
          ...(colMethod ? { method: colMethod } : {}),
          ...(o.threshold !== undefined ? { threshold: parseThreshold(colMethod as TestMethod, o.threshold, `${field}.threshold`) } : {}),
        },
      ]);
    }
  }
  // fromEntries defines own properties, so a column named like an Object.prototype member stays a column.
  const columns: Record<string, ColumnOverride> = Object.fromEntries(entries);
  const base = m.base === undefined ? DEFAULT_JENSEN_SHANNON_BASE : String(m.base);
  if (!JENSEN_SHANNON_BASES.includes(base as JensenShannonBase)) fail('monitor.base', '"e" or "2" (the Jensen–Shannon logarithm base)', m.base);
  const autoTestMaxValues = m.autoTestMaxValues === undefined ? SMALL_REFERENCE_MAX : m.autoTestMaxValues;
  if (typeof autoTestMaxValues !== 'number' || !Number.isInteger(autoTestMaxValues) || autoTestMaxValues < 0)
    fail('monitor.autoTestMaxValues', 'a whole number ≥ 0', m.autoTestMaxValues);
  return { method, threshold, columns, base: base as JensenShannonBase, autoTestMaxValues, domainClassifier: parseDomainClassifier(m.domainClassifier) };
}

function parseDomainClassifier(v: unknown): MonitorDriftSpec['domainClassifier'] {
  const d = MONITOR_DRIFT_DEFAULTS.domainClassifier;
  if (v === undefined) return { ...d };
  const field = 'monitor.domainClassifier';
  if (!isRecord(v)) fail(field, 'an object {enabled?, alpha?, permutations?}', v);
  for (const k of Object.keys(v))
    if (!['enabled', 'alpha', 'permutations'].includes(k)) fail(`${field}.${k}`, 'absent (known fields: enabled, alpha, permutations)', k);
  if (v.enabled !== undefined && typeof v.enabled !== 'boolean') fail(`${field}.enabled`, 'true or false', v.enabled);
  if (v.alpha !== undefined && (typeof v.alpha !== 'number' || !(v.alpha > 0 && v.alpha < 1)))
    fail(`${field}.alpha`, 'a significance level in (0, 1)', v.alpha);
  if (
    v.permutations !== undefined &&
    (typeof v.permutations !== 'number' || !Number.isInteger(v.permutations) || v.permutations < 19 || v.permutations > 100_000)
  ) {
    fail(`${field}.permutations`, 'a whole number from 19 to 100000', v.permutations);
  }
  return {
    enabled: (v.enabled as boolean | undefined) ?? d.enabled,
    alpha: (v.alpha as number | undefined) ?? d.alpha,
    permutations: (v.permutations as number | undefined) ?? d.permutations,
  };
}

/** detectDrift options of a monitor check. */
export function monitorDriftOptions(spec: Partial<MonitorDriftSpec>, correction: Correction): DriftOptions {
  const d = MONITOR_DRIFT_DEFAULTS;
  // Fields may be present but undefined (a monitor started before they existed): default each one.
  const s: MonitorDriftSpec = {
    method: spec.method ?? d.method,
    threshold: spec.threshold ?? d.threshold,
    columns: spec.columns ?? d.columns,
    base: spec.base ?? d.base,
    autoTestMaxValues: spec.autoTestMaxValues ?? d.autoTestMaxValues,
    domainClassifier: spec.domainClassifier ?? d.domainClassifier,
  };
  const thresholds: Partial<Record<TestMethod, number>> =
    typeof s.threshold === 'number' ? (s.method === 'auto' ? {} : { [s.method]: s.threshold }) : { ...(s.threshold ?? {}) };
  return { method: s.method, correction, thresholds, base: s.base, autoSizeOf: 'smaller', autoTestMaxValues: s.autoTestMaxValues, columnOverrides: s.columns };
}
