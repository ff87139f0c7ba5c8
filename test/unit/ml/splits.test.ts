import { describe, expect, it } from 'vitest';
import type { Split } from '../../../core/ml/splits';
import { expandingWindowFolds, holdoutSplit, stratifiedKFold, timeHoldout } from '../../../core/ml/splits';

function expectPartition(split: Split, rows: number): void {
  const seen = new Int32Array(rows);
  for (const part of [split.train, split.validation, split.test]) {
    for (let i = 0; i < part.length; i++) {
      const row = part[i]!;
      seen[row] = seen[row]! + 1;
      if (i > 0) expect(part[i]!).toBeGreaterThan(part[i - 1]!);
    }
  }
  expect(seen.every((c) => c === 1)).toBe(true);
}

function countClass(indices: Int32Array, labels: Int32Array, c: number): number {
  return indices.filter((i) => labels[i] === c).length;
}

describe('random holdout', () => {
  it('splits rows into non-overlapping sorted train/validation/test of the asked sizes', () => {
    const split = holdoutSplit(1000, { validation: 0.2, test: 0.1, seed: 7 });
    expect([split.train.length, split.validation.length, split.test.length]).toEqual([700, 200, 100]);
    expectPartition(split, 1000);
  });

  it('is the same for the same seed and different for another', () => {
    const a = holdoutSplit(500, { validation: 0.2, test: 0.2, seed: 1 });
    const b = holdoutSplit(500, { validation: 0.2, test: 0.2, seed: 1 });
    const c = holdoutSplit(500, { validation: 0.2, test: 0.2, seed: 2 });
    expect(a).toEqual(b);
    expect(Array.from(a.test)).not.toEqual(Array.from(c.test));
  });

  it('keeps class proportions in every split when stratified', () => {
    const labels = Int32Array.from({ length: 1000 }, (_, i) => (i % 10 < 3 ? 1 : 0));
    const split = holdoutSplit(1000, { validation: 0.2, test: 0.1, seed: 3, stratify: labels });
    expectPartition(split, 1000);
    expect(countClass(split.test, labels, 1)).toBe(30);
    expect(countClass(split.validation, labels, 1)).toBe(60);
    expect(countClass(split.train, labels, 1)).toBe(210);
  });

  it('rounds stratified counts by largest remainder so the total is what was asked', () => {
    // classes of 10, 7 and 3 rows; test 25% = 5 rows: quotas 2.5, 1.75, 0.75 → 2, 2, 1
    const labels = Int32Array.from([...Array(10).fill(0), ...Array(7).fill(1), ...Array(3).fill(2)]);
    const split = holdoutSplit(20, { validation: 0, test: 0.25, seed: 5, stratify: labels });
    expect([0, 1, 2].map((c) => countClass(split.test, labels, c))).toEqual([2, 2, 1]);
    expect(split.validation.length).toBe(0);
  });

  it('rejects fractions that leave no training rows', () => {
    expect(() => holdoutSplit(10, { validation: 0.5, test: 0.5, seed: 1 })).toThrow(/validation \+ test = 1; it must be < 1/);
    expect(() => holdoutSplit(10, { validation: -0.1, test: 0.5, seed: 1 })).toThrow(/validation fraction is -0.1/);
    expect(() => holdoutSplit(0, { validation: 0.1, test: 0.1, seed: 1 })).toThrow(/0 rows/);
  });
});

describe('stratified k-fold', () => {
  const labels = Int32Array.from([...Array(50).fill(0), ...Array(30).fill(1), ...Array(17).fill(2)]);

  it('spreads each class evenly over the folds, which partition the rows', () => {
    const folds = stratifiedKFold(labels, 5, 11);
    expect(folds).toHaveLength(5);
    const seen = new Int32Array(labels.length);
    for (const fold of folds) {
      for (const i of fold.validation) seen[i] = seen[i]! + 1;
      expect(fold.train.length + fold.validation.length).toBe(labels.length);
      expect(fold.train.some((i) => fold.validation.includes(i))).toBe(false);
    }
    expect(seen.every((c) => c === 1)).toBe(true);
    for (const c of [0, 1, 2]) {
      const perFold = folds.map((f) => countClass(f.validation, labels, c));
      expect(Math.max(...perFold) - Math.min(...perFold)).toBeLessThanOrEqual(1);
    }
    expect(folds.map((f) => countClass(f.validation, labels, 0))).toEqual([10, 10, 10, 10, 10]);
    const sizes = folds.map((f) => f.validation.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
  });

  it('is deterministic per seed', () => {
    expect(stratifiedKFold(labels, 4, 3)).toEqual(stratifiedKFold(labels, 4, 3));
    expect(stratifiedKFold(labels, 4, 3)).not.toEqual(stratifiedKFold(labels, 4, 4));
  });

  it('rejects k outside [2, rows]', () => {
    expect(() => stratifiedKFold(Int32Array.from([0, 1, 0]), 4, 1)).toThrow(/k is 4; it must be an integer in \[2, 3\]/);
    expect(() => stratifiedKFold(labels, 1, 1)).toThrow(/k is 1/);
  });
});

describe('time holdout', () => {
  it('puts the latest rows in test and the period before them in validation', () => {
    const n = 100;
    // timestamps in a scrambled row order: row i holds day (37·i mod 100)
    const ts = Float64Array.from({ length: n }, (_, i) => (37 * i) % n);
    const split = timeHoldout(ts, { validation: 0.2, test: 0.1 });
    expectPartition(split, n);
    expect([split.train.length, split.validation.length, split.test.length]).toEqual([70, 20, 10]);
    const days = (idx: Int32Array): number[] => Array.from(idx, (i) => ts[i]!);
    expect(Math.min(...days(split.test))).toBe(90);
    expect(Math.min(...days(split.validation))).toBe(70);
    expect(Math.max(...days(split.validation))).toBe(89);
    expect(Math.max(...days(split.train))).toBe(69);
  });

  it('keeps rows sharing a timestamp in the same split (the later one)', () => {
    const ts = Float64Array.from([1, 2, 3, 4, 5, 5, 5, 6, 7, 8]);
    const split = timeHoldout(ts, { validation: 0.3, test: 0.2 });
    expect(Array.from(split.test)).toEqual([8, 9]);
    expect(Array.from(split.validation)).toEqual([4, 5, 6, 7]);
    expect(Array.from(split.train)).toEqual([0, 1, 2, 3]);
  });

  it('rejects non-finite timestamps and a split that leaves nothing to train on', () => {
    expect(() => timeHoldout(Float64Array.from([1, NaN, 3]), { validation: 0, test: 0.3 })).toThrow(/timestamp of row 1 is NaN/);
    expect(() => timeHoldout(Float64Array.from([5, 5, 5, 5]), { validation: 0, test: 0.25 })).toThrow(/no rows left for training/);
  });
});

describe('expanding-window time-series folds', () => {
  it('never trains on a row later than any row it is scored on, and grows the window fold by fold', () => {
    // Shuffled timestamps with ties, as rows arrive in a file.
    const ts = Float64Array.from({ length: 103 }, (_, i) => Math.floor(((i * 37) % 103) / 2) * 86_400_000);
    const folds = expandingWindowFolds(ts, 4);
    expect(folds).toHaveLength(4);
    let previous = 0;
    for (const f of folds) {
      const latestTrain = Math.max(...Array.from(f.train, (i) => ts[i]!));
      const earliestScored = Math.min(...Array.from(f.validation, (i) => ts[i]!));
      expect(latestTrain).toBeLessThan(earliestScored);
      expect(f.train.length).toBeGreaterThan(previous);
      previous = f.train.length;
      expect(new Set([...f.train, ...f.validation]).size).toBe(f.train.length + f.validation.length);
    }
    // Every row but the first period is scored exactly once.
    expect(folds.reduce((n, f) => n + f.validation.length, 0) + folds[0]!.train.length).toBe(103);
  });

  it('rejects too few distinct timestamps for the periods asked, and bad timestamps', () => {
    expect(() => expandingWindowFolds(Float64Array.from([1, 1, 1, 2, 2, 2]), 3)).toThrow(/cannot make 4 non-empty periods/);
    expect(() => expandingWindowFolds(Float64Array.from([1, NaN, 3]), 2)).toThrow(/timestamp of row 1 is NaN/);
  });
});
