// GBDT training settings: defaults (LightGBM's / scikit-learn's HistGradientBoosting's where they agree) and
// the one validator, whose errors name the parameter and the rule it broke.
import type { GbdtParams } from './model';

export const GBDT_DEFAULTS: Readonly<GbdtParams> = {
  maxIter: 100,
  learningRate: 0.1,
  maxLeaves: 31,
  maxDepth: null,
  minSamplesLeaf: 20,
  minHessianLeaf: 1e-3,
  l2: 0,
  maxBins: 255,
  binSubsample: 200_000,
  earlyStoppingRounds: 10,
  seed: 0,
  minCategoryRows: 10,
  categorySmoothing: 10,
  maxCategoriesPerSplit: 32,
};

/** The most value bins a column can have: bin indices are bytes and one more bin holds the missing values. */
export const MAX_BINS = 255;

/** Defaults filled in, every value checked. Unknown keys are rejected (they are usually typos). */
export function resolveGbdtParams(params: Partial<GbdtParams>): GbdtParams {
  for (const key of Object.keys(params)) {
    if (!(key in GBDT_DEFAULTS)) {
      throw new Error(`gbdt: unknown parameter "${key}"; known: ${Object.keys(GBDT_DEFAULTS).join(', ')}`);
    }
  }
  const p: GbdtParams = { ...GBDT_DEFAULTS };
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined) Object.assign(p, { [key]: value });
  }
  integer(p, 'maxIter', 1);
  positiveFinite(p, 'learningRate');
  integer(p, 'maxLeaves', 2);
  if (p.maxDepth !== null) integer(p, 'maxDepth', 1);
  integer(p, 'minSamplesLeaf', 1);
  nonNegativeFinite(p, 'minHessianLeaf');
  nonNegativeFinite(p, 'l2');
  integer(p, 'maxBins', 2, MAX_BINS);
  integer(p, 'binSubsample', 2);
  integer(p, 'earlyStoppingRounds', 1);
  integer(p, 'seed', 0, 0xffffffff);
  integer(p, 'minCategoryRows', 1);
  nonNegativeFinite(p, 'categorySmoothing');
  integer(p, 'maxCategoriesPerSplit', 1);
  return p;
}

type NumericKey = { [K in keyof GbdtParams]: GbdtParams[K] extends number ? K : K extends 'maxDepth' ? K : never }[keyof GbdtParams];

function integer(p: GbdtParams, key: NumericKey, min: number, max = Number.MAX_SAFE_INTEGER): void {
  const v: unknown = p[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `in [${min}, ${max}]`;
    throw new Error(`gbdt: ${key} is ${String(v)}; it must be an integer ${range}${key === 'maxDepth' ? ' or null (no limit)' : ''}`);
  }
}

function positiveFinite(p: GbdtParams, key: NumericKey): void {
  const v: unknown = p[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new Error(`gbdt: ${key} is ${String(v)}; it must be a finite number > 0`);
}

function nonNegativeFinite(p: GbdtParams, key: NumericKey): void {
  const v: unknown = p[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`gbdt: ${key} is ${String(v)}; it must be a finite number ≥ 0`);
}
