import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { literal, openDuckDB, type DuckDB } from '../../../core/data/duckdb';
import { readColumns } from '../../../core/data/columns';
import { sampleTrainingRows, stratifiedQuotas } from '../../../core/ml/training-sample';

// 60,000 rows in three Parquet files (a partitioned dataset as training reads it): classes a (60%), b (30%),
// c (10%), with every 50th label (one of a's) missing; `id` names the row, `v` is a regression target.
const FILES = 3;
const PER_FILE = 20_000;

let db: DuckDB;
let dir: string;
let table: string;

beforeAll(async () => {
  db = await openDuckDB({ threads: 2 });
  dir = mkdtempSync(path.join(os.tmpdir(), 'training-sample-'));
  const files: string[] = [];
  for (let f = 0; f < FILES; f++) {
    const file = path.join(dir, `part-${f}.parquet`);
    await db.conn.run(`COPY (
      SELECT i AS id,
             CASE WHEN i % 50 = 0 THEN NULL WHEN i % 10 < 6 THEN 'a' WHEN i % 10 < 9 THEN 'b' ELSE 'c' END AS y,
             sin(i) * 100 AS v
        FROM range(${f * PER_FILE}, ${(f + 1) * PER_FILE}) t(i)) TO ${literal(file)} (FORMAT parquet, ROW_GROUP_SIZE 4096)`);
    files.push(file);
  }
  table = `read_parquet([${files.map(literal).join(', ')}])`;
});

afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

async function sampled(maxRows: number, seed: number, exact = false) {
  const s = await sampleTrainingRows(db.conn, table, { target: { name: 'y', kind: 'categorical' }, task: undefined, maxRows, seed, exact });
  if (!s) throw new Error('expected a sample');
  const cols = await readColumns(db.conn, s.table, [
    { name: 'id', kind: 'numeric' },
    { name: 'y', kind: 'categorical' },
  ]);
  return { ...s, ids: cols.columns[0]!.values as Float64Array, labels: cols.columns[1]!.values as (string | null)[] };
}

describe('the training sample above training.maxRows', () => {
  it('keeps exactly maxRows labelled rows, in dataset order, with each class at its share', async () => {
    const s = await sampled(10_000, 42);
    expect(s.ids.length).toBe(10_000);
    expect(s.sample).toEqual({ rows: 10_000, of: 58_800, seed: 42, stratifiedBy: 'y' });
    expect(s.unlabelled).toBe(1_200);
    expect(s.labels.every((l) => l !== null)).toBe(true);
    for (let i = 1; i < s.ids.length; i++) expect(s.ids[i]!).toBeGreaterThan(s.ids[i - 1]!);
    const count = (c: string): number => s.labels.filter((l) => l === c).length;
    // Labelled rows: a 34,800, b 18,000, c 6,000 of 58,800 (stratifiedQuotas gives the exact split).
    expect([count('a'), count('b'), count('c')]).toEqual(stratifiedQuotas([34_800, 18_000, 6_000], 10_000));
    expect(Math.abs(count('a') / 10_000 - 34_800 / 58_800)).toBeLessThan(1e-3);
    expect(Math.abs(count('c') / 10_000 - 6_000 / 58_800)).toBeLessThan(1e-3);
  });

  it('picks the same rows for the same seed and other rows for another seed', async () => {
    const a = await sampled(5_000, 7);
    const b = await sampled(5_000, 7);
    const c = await sampled(5_000, 8);
    expect(Array.from(b.ids)).toEqual(Array.from(a.ids));
    const inA = new Set(a.ids);
    const shared = Array.from(c.ids).filter((id) => inA.has(id)).length;
    // Two independent 5,000-of-58,800 samples share about 5,000 × 5,000 / 58,800 ≈ 425 rows.
    expect(shared).toBeGreaterThan(250);
    expect(shared).toBeLessThan(650);
  });

  it('picks the same rows by key alone as by (key, file, row)', async () => {
    const fast = await sampled(7_777, 11);
    const exact = await sampled(7_777, 11, true);
    expect(exact.table).not.toBe(fast.table);
    expect(Array.from(exact.ids)).toEqual(Array.from(fast.ids));
  });

  it('spreads the sample over every partition', async () => {
    const s = await sampled(6_000, 1);
    const perFile = [0, 0, 0];
    for (const id of s.ids) perFile[Math.floor(id / PER_FILE)]!++;
    for (const n of perFile) expect(Math.abs(n - 2_000)).toBeLessThan(200);
  });

  it('samples a regression target plainly', async () => {
    const s = await sampleTrainingRows(db.conn, table, { target: { name: 'v', kind: 'numeric' }, task: undefined, maxRows: 4_321, seed: 3 });
    expect(s?.sample).toEqual({ rows: 4_321, of: 60_000, seed: 3, stratifiedBy: null });
    const n = await db.conn.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM ${s!.table}`);
    expect(n.getRowObjectsJS()[0]!.n).toBe(4_321);
  });

  it('leaves a dataset with no more labelled rows than maxRows alone', async () => {
    expect(await sampleTrainingRows(db.conn, table, { target: { name: 'y', kind: 'categorical' }, task: undefined, maxRows: 58_800, seed: 1 })).toBeUndefined();
  });
});

describe('stratifiedQuotas', () => {
  it('splits in proportion by largest remainder and keeps every class', () => {
    expect(stratifiedQuotas([50, 30, 20], 10)).toEqual([5, 3, 2]);
    expect(() => stratifiedQuotas([1, 1, 1], 2)).toThrow(/at least one row each/);
    expect(stratifiedQuotas([9_990, 10], 100)).toEqual([99, 1]);
    expect(stratifiedQuotas([1_000_000, 1], 100)).toEqual([99, 1]);
    expect(stratifiedQuotas([7, 7, 6], 10)).toEqual([4, 3, 3]);
  });
});
