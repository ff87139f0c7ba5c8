import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { literal, openDuckDB, type DuckDB } from '../../../core/data/duckdb';
import { planFeatures } from '../../../core/features/plan';
import { selectFeatures, strideSample } from '../../../core/features/select';
import { strideSamplePredicate } from '../../../core/data/stride-sample';
import { selectFromTable } from '../../../core/features/select-table';
import { parseFeatureSpec } from '../../../core/features/spec';
import { computeFeatures } from '../../../core/features/stages';

// 5,000 rows with every rule at work: a near-twin of x, a constant, a mostly missing column, a near-constant
// category, a derived feature (log1p of x² + 1) and a derived cross. Built by DuckDB, read as the stages read it.
const ROWS = 5000;
const COLUMNS = [
  ['x', 'DOUBLE'],
  ['twin', 'DOUBLE'],
  ['constant', 'DOUBLE'],
  ['sparse', 'DOUBLE'],
  ['k', 'BIGINT'],
  ['almost_one', 'VARCHAR'],
  ['cat', 'VARCHAR'],
  ['y', 'BIGINT'],
].map(([name, type]) => ({ name: name!, type: type! }));

let db: DuckDB;
let dir: string;
let table: string;

beforeAll(async () => {
  db = await openDuckDB({ threads: 2 });
  dir = mkdtempSync(path.join(os.tmpdir(), 'select-table-'));
  const file = path.join(dir, 'data.parquet');
  await db.conn.run(`COPY (
    SELECT sin(i) AS x, 2 * sin(i) + 0.001 * cos(i) AS twin, 3.0 AS constant,
           CASE WHEN i % 10 = 0 THEN i::DOUBLE END AS sparse, (i * 7919) % 13 AS k,
           CASE WHEN i % 997 = 0 THEN 'b' ELSE 'a' END AS almost_one,
           CASE WHEN i % 50 = 0 THEN NULL ELSE ['p', 'q', 'r', 's'][1 + (i * 31) % 4] END AS cat,
           (i * 13) % 2 AS y
      FROM range(${ROWS}) t(i)) TO ${literal(file)} (FORMAT parquet, ROW_GROUP_SIZE 1024)`);
  table = `read_parquet(${literal(file)}, file_row_number = true)`;
});

afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function plan() {
  const features = parseFeatureSpec({
    derive: [
      { name: 'x_sq', op: 'product', inputs: ['x', 'x'] },
      { name: 'x_log', op: 'log1p', input: 'x_sq' },
      { name: 'k_cat', op: 'cross', inputs: ['cat', 'almost_one'] },
    ],
  });
  return planFeatures({ columns: COLUMNS, target: 'y', features });
}

async function inJs(conn: DuckDBConnection, sampleRows: number) {
  const p = plan();
  const { rows, byName } = await computeFeatures(conn, table, p);
  return selectFeatures(
    p.features.map((f) => byName.get(f.name)!),
    rows,
    { sampleRows },
  );
}

describe('feature selection on a table', () => {
  it('picks the rows of the stride sample in SQL', async () => {
    for (const [rows, n] of [
      [5000, 333],
      [5000, 4999],
      [7, 3],
      [5000, 5000],
    ] as const) {
      const res = await db.conn.runAndReadAll(`SELECT i FROM range(${rows}) t(i) WHERE ${strideSamplePredicate('i', rows, n)} ORDER BY i`);
      expect(Int32Array.from(res.getRows().map((r) => Number(r[0])))).toEqual(strideSample(rows, n));
    }
  });

  it('selects, drops and describes as selectFeatures on every row read into JS, with a sample and without', async () => {
    for (const sampleRows of [ROWS, 777]) {
      const expected = await inJs(db.conn, sampleRows);
      const got = await selectFromTable(db.conn, table, plan(), { sampleRows });
      expect(got.selected).toEqual(expected.selected);
      expect(got.dropped).toEqual(expected.dropped);
      expect(got.stats.map((s) => ({ ...s, variance: undefined }))).toEqual(expected.stats.map((s) => ({ ...s, variance: undefined })));
      for (const [i, s] of got.stats.entries()) {
        if (s.variance !== undefined) expect(s.variance).toBeCloseTo(expected.stats[i]!.variance!, 10);
      }
    }
    const r = await selectFromTable(db.conn, table, plan(), {});
    expect(r.selected).toEqual(['x', 'k', 'cat', 'x_sq', 'k_cat']);
    expect(Object.fromEntries(r.dropped.map((d) => [d.name, d.reason]))).toEqual({
      twin: 'correlated (r = 1.000) with x, which is kept',
      constant: 'constant (zero variance)',
      sparse: 'missing in 90.0% of rows (limit 50.0%)',
      almost_one: 'near-constant: one value in 99.88% of rows',
      x_log: expect.stringMatching(/^correlated \(r = 0\.9\d\d\) with x_sq, which is kept$/),
    });
  });
});
