// A seeded mixed table at any scale, written by DuckDB straight to Parquet (flat memory; about a minute per 10M rows):
// 10 numeric columns n0…n9 (standard normal), 10 categorical columns c0…c9 (10 + 4j categories, skewed), 1% of
// every feature missing, and a binary label `y` drawn from a logit with nonlinear numeric terms and one random
// effect per category. The benchmarks for training and the pipeline at scale share it.
import { existsSync, renameSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { literal, withDuckDB } from '../core/data/duckdb';

export const MIXED_NUMERIC = Array.from({ length: 10 }, (_, j) => `n${j}`);
export const MIXED_CATEGORICAL = Array.from({ length: 10 }, (_, j) => `c${j}`);
export const MIXED_TARGET = 'y';

/** Categories of column c<j>. */
export const mixedCardinality = (j: number): number => 10 + 4 * j;

/** Writes `rows` rows to `file` (.parquet); the same seed gives the same file. */
export async function writeMixedTable(file: string, opts: { rows: number; seed?: number }): Promise<void> {
  if (!Number.isInteger(opts.rows) || opts.rows < 1) throw new RangeError(`rows must be a positive integer, got ${opts.rows}`);
  const seed = opts.seed ?? 42;
  // A uniform in (0, 1) from the row number and a stream number: seeded and the same on any thread count.
  const u = (k: number): string => `((hash(i, ${k}, ${seed}) % 1000003)::DOUBLE + 0.5) / 1000003`;
  const normal = (k: number): string => `sqrt(-2 * ln(${u(k)})) * cos(2 * pi() * ${u(k + 1)})`;
  const numeric = MIXED_NUMERIC.map((n, j) => `${normal(10 + 2 * j)} AS ${n}`);
  const codes = MIXED_CATEGORICAL.map((c, j) => `floor(pow(${u(40 + j)}, 1.5) * ${mixedCardinality(j)})::INTEGER AS ${c}_k`);
  // Each category's effect on the logit: a fixed pseudo-random value in [-1, 1] per (column, category).
  const effect = (j: number): string => `(((hash(c${j}_k, ${100 + j}, ${seed}) % 2001)::DOUBLE / 1000) - 1)`;
  const logit = [
    '0.8 * n0',
    '-0.5 * n1',
    '0.4 * n2 * n3',
    '0.6 * sin(2 * n4)',
    '0.3 * abs(n5)',
    '-0.3',
    ...MIXED_CATEGORICAL.map((_, j) => `${j < 4 ? 0.6 : 0.25} * ${effect(j)}`),
  ].join(' + ');
  const missing = (name: string, k: number, value: string): string => `CASE WHEN ${u(k)} < 0.01 THEN NULL ELSE ${value} END AS ${name}`;
  const sql = `
    COPY (
      WITH raw AS (SELECT i, ${[...numeric, ...codes].join(', ')} FROM range(${opts.rows}) t(i)),
      labelled AS (SELECT *, CASE WHEN ${u(90)} < 1 / (1 + exp(-(${logit}))) THEN 1 ELSE 0 END AS y FROM raw)
      SELECT ${[...MIXED_NUMERIC.map((n, j) => missing(n, 60 + j, n)), ...MIXED_CATEGORICAL.map((c, j) => missing(c, 75 + j, `'${c}_' || ${c}_k`)), 'y'].join(
        ', ',
      )}
      FROM labelled ORDER BY i
    ) TO ${literal(file)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)`;
  await withDuckDB((conn) => conn.run(sql).then(() => undefined), { memoryLimit: '4GB' });
}

/** The table's file under the system temp dir, written once per (rows, seed) and reused by later runs. */
export async function mixedTableFile(rows: number, seed = 42): Promise<string> {
  const file = path.join(os.tmpdir(), `mlops-mixed-${rows}-${seed}.parquet`);
  if (!existsSync(file)) {
    const partial = `${file}.${process.pid}.partial`;
    await writeMixedTable(partial, { rows, seed });
    renameSync(partial, file);
  }
  return file;
}
