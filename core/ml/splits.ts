// Row splits for training and evaluation, as sorted index arrays that never overlap.
// Fit on `train`, choose anything that can be chosen (l2, thresholds, early stopping) on `validation`, and
// touch `test` once, for the final evaluation only: every look at it that feeds back into a choice makes the
// reported test figure optimistic.
import { seededRandom } from '../random';

export interface Split {
  train: Int32Array;
  validation: Int32Array;
  test: Int32Array;
}

export interface Fold {
  train: Int32Array;
  validation: Int32Array;
}

export interface HoldoutOptions {
  /** Fraction of rows for validation, in [0, 1). */
  validation: number;
  /** Fraction of rows for test, in [0, 1); train gets the rest. */
  test: number;
  seed: number;
  /** Class index per row: split each class in the same proportions (largest-remainder rounding). */
  stratify?: Int32Array;
}

/** Seeded random holdout of `rows` rows, optionally stratified by class. */
export function holdoutSplit(rows: number, options: HoldoutOptions): Split {
  const what = 'holdout split';
  checkRows(rows, what);
  checkFractions(options.validation, options.test, what);
  const groups = options.stratify === undefined ? [range(rows)] : classGroups(options.stratify, rows, what);
  const sizes = groups.map((g) => g.length);
  const nTest = apportion(sizes, options.test);
  const nVal = apportion(sizes, options.validation).map((v, i) => Math.min(v, sizes[i]! - nTest[i]!));
  const random = seededRandom(options.seed);
  const train: number[] = [];
  const validation: number[] = [];
  const test: number[] = [];
  groups.forEach((group, g) => {
    shuffle(group, random);
    const t = nTest[g]!;
    const v = nVal[g]!;
    for (let i = 0; i < group.length; i++) (i < t ? test : i < t + v ? validation : train).push(group[i]!);
  });
  if (train.length === 0) throw new Error(`${what}: no rows left for training (${rows} rows, validation ${options.validation}, test ${options.test})`);
  return { train: sorted(train), validation: sorted(validation), test: sorted(test) };
}

/**
 * Seeded stratified k-fold: each class's rows are shuffled and dealt round-robin over the folds, continuing
 * where the previous class stopped, so per-class and total fold sizes differ by at most one. A class with
 * fewer than k rows is absent from some folds' validation part.
 */
export function stratifiedKFold(labels: Int32Array, k: number, seed: number): Fold[] {
  const what = 'stratified k-fold';
  const rows = labels.length;
  checkRows(rows, what);
  if (!Number.isInteger(k) || k < 2 || k > rows) throw new Error(`${what}: k is ${k}; it must be an integer in [2, ${rows}] (the row count)`);
  const groups = classGroups(labels, rows, what);
  const foldOf = new Int32Array(rows);
  const random = seededRandom(seed);
  let next = 0;
  for (const group of groups) {
    shuffle(group, random);
    for (let i = 0; i < group.length; i++) foldOf[group[i]!] = (next + i) % k;
    next = (next + group.length) % k;
  }
  const folds: Fold[] = [];
  for (let f = 0; f < k; f++) {
    const train: number[] = [];
    const validation: number[] = [];
    for (let r = 0; r < rows; r++) (foldOf[r] === f ? validation : train).push(r);
    folds.push({ train: Int32Array.from(train), validation: Int32Array.from(validation) });
  }
  return folds;
}

export interface TimeHoldoutOptions {
  /** Fraction of rows for validation (the period just before test), in [0, 1). */
  validation: number;
  /** Fraction of rows for test (the latest period), in [0, 1). */
  test: number;
}

/**
 * Time-based holdout: the latest `test` fraction of rows (by timestamp) is test, the `validation` fraction
 * before it is validation, the rest is train. Rows sharing a timestamp never straddle a boundary: ties at a
 * boundary go to the later split, so test can be a little larger than asked.
 */
export function timeHoldout(timestamps: Float64Array, options: TimeHoldoutOptions): Split {
  const what = 'time holdout';
  const rows = timestamps.length;
  checkRows(rows, what);
  checkFractions(options.validation, options.test, what);
  for (let r = 0; r < rows; r++) {
    if (!Number.isFinite(timestamps[r]!)) throw new Error(`${what}: the timestamp of row ${r} is ${timestamps[r]}; timestamps must be finite`);
  }
  const order = Int32Array.from(range(rows)).sort((a, b) => timestamps[a]! - timestamps[b]! || a - b);
  const tsAt = (i: number): number => timestamps[order[i]!]!;
  // Moves a boundary down to the first row of its timestamp, so equal timestamps land in the later split.
  const atTieStart = (b: number): number => {
    while (b > 0 && b < rows && tsAt(b - 1) === tsAt(b)) b--;
    return b;
  };
  const testStart = atTieStart(rows - Math.round(rows * options.test));
  const valStart = atTieStart(Math.min(testStart, rows - Math.round(rows * options.test) - Math.round(rows * options.validation)));
  if (valStart === 0) {
    throw new Error(`${what}: no rows left for training (${rows} rows, validation ${options.validation}, test ${options.test}, ties kept together)`);
  }
  return {
    train: order.slice(0, valStart).sort(),
    validation: order.slice(valStart, testStart).sort(),
    test: order.slice(testStart).sort(),
  };
}

/**
 * Expanding-window time-series split (scikit-learn's TimeSeriesSplit): the rows ordered by timestamp are cut
 * into k + 1 consecutive blocks; fold f trains on blocks 0..f and validates on block f + 1. So no training
 * row is later than a row it is scored on. Rows sharing a timestamp stay in one block (the later one).
 */
export function expandingWindowFolds(timestamps: Float64Array, k: number): Fold[] {
  const what = 'time-series k-fold';
  const rows = timestamps.length;
  checkRows(rows, what);
  if (!Number.isInteger(k) || k < 2) throw new Error(`${what}: k is ${k}; it must be an integer ≥ 2`);
  for (let r = 0; r < rows; r++) {
    if (!Number.isFinite(timestamps[r]!)) throw new Error(`${what}: the timestamp of row ${r} is ${timestamps[r]}; timestamps must be finite`);
  }
  const order = Int32Array.from(range(rows)).sort((a, b) => timestamps[a]! - timestamps[b]! || a - b);
  const tsAt = (i: number): number => timestamps[order[i]!]!;
  const starts: number[] = [0];
  for (let b = 1; b <= k; b++) {
    let start = Math.round((b * rows) / (k + 1));
    while (start > 0 && start < rows && tsAt(start - 1) === tsAt(start)) start--;
    starts.push(Math.max(start, starts[b - 1]!));
  }
  starts.push(rows);
  for (let b = 0; b <= k; b++) {
    if (starts[b + 1]! <= starts[b]!) {
      throw new Error(
        `${what}: ${rows} rows with their timestamps cannot make ${k + 1} non-empty periods (ties stay together); use fewer folds or the holdout`,
      );
    }
  }
  const folds: Fold[] = [];
  for (let f = 0; f < k; f++) {
    folds.push({ train: order.slice(0, starts[f + 1]!).sort(), validation: order.slice(starts[f + 1]!, starts[f + 2]!).sort() });
  }
  return folds;
}

function checkRows(rows: number, what: string): void {
  if (!Number.isInteger(rows) || rows <= 0) throw new Error(`${what}: there are ${rows} rows; splitting needs at least one`);
}

function checkFractions(validation: number, test: number, what: string): void {
  for (const [name, f] of [
    ['validation', validation],
    ['test', test],
  ] as const) {
    if (!(f >= 0 && f < 1)) throw new Error(`${what}: the ${name} fraction is ${f}; it must be in [0, 1)`);
  }
  if (!(validation + test < 1)) throw new Error(`${what}: validation + test = ${validation + test}; it must be < 1 to leave rows for training`);
}

/** Row indices per class index, ascending (classes by index, rows by position). */
function classGroups(labels: Int32Array, rows: number, what: string): number[][] {
  if (labels.length !== rows) throw new Error(`${what}: ${labels.length} class labels for ${rows} rows; give one per row`);
  const groups: number[][] = [];
  for (let r = 0; r < rows; r++) {
    const y = labels[r]!;
    if (y < 0) throw new Error(`${what}: the class label of row ${r} is ${y}; labels must be class indices ≥ 0`);
    while (groups.length <= y) groups.push([]);
    groups[y]!.push(r);
  }
  return groups.filter((g) => g.length > 0);
}

/**
 * Splits round(total × fraction) over groups in proportion to their sizes: floors first, then one more to the
 * groups with the largest remainders (ties to the earlier group).
 */
function apportion(sizes: number[], fraction: number): number[] {
  const total = sizes.reduce((a, b) => a + b, 0);
  const quotas = sizes.map((n) => n * fraction);
  const counts = quotas.map(Math.floor);
  let left = Math.round(total * fraction) - counts.reduce((a, b) => a + b, 0);
  const byRemainder = quotas.map((q, i) => i).sort((a, b) => quotas[b]! - counts[b]! - (quotas[a]! - counts[a]!) || a - b);
  for (const i of byRemainder) {
    if (left <= 0) break;
    if (counts[i]! < sizes[i]!) {
      counts[i]!++;
      left--;
    }
  }
  return counts;
}

function shuffle(a: number[], random: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function sorted(xs: number[]): Int32Array {
  return Int32Array.from(xs).sort();
}
