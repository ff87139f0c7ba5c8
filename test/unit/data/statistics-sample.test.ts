import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckDB, type DuckDB } from '../../../core/data/duckdb';
import { computeStatistics, QUANTILE_SAMPLE_ROWS } from '../../../core/data/statistics';
import { strideSamplePredicate } from '../../../core/data/stride-sample';

// Quantiles of a large table come from its stride sample when the relation has a row-number column.
let db: DuckDB;
const columns = [
  { name: 'x', type: 'DOUBLE' },
  { name: 'k', type: 'BIGINT' },
];

beforeAll(async () => {
  db = await openDuckDB({ threads: 2 });
  // x: a shuffled uniform on [0, 1) with a NaN and an Infinity; k: 0…9.
  await db.conn.run(`CREATE TABLE big AS SELECT i AS rn,
      CASE WHEN i = 7 THEN 'NaN'::DOUBLE WHEN i = 11 THEN 'Infinity'::DOUBLE ELSE ((i * 7919) % 250000) / 250000.0 END AS x,
      i % 10 AS k FROM range(250000) t(i)`);
});

afterAll(() => db.close());

describe('statistics of a large table', () => {
  it('takes quantiles over the stride sample, exact over those rows, and everything else over every row', async () => {
    expect(250000).toBeGreaterThan(QUANTILE_SAMPLE_ROWS);
    const sampled = await computeStatistics(db.conn, 'big', columns, { rowNumber: 'rn' });
    const exact = await computeStatistics(db.conn, 'big', columns);
    const over = await db.conn.runAndReadAll(
      `SELECT quantile_cont(x, [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99]) AS q FROM big WHERE isfinite(x) AND ${strideSamplePredicate('rn', 250000, QUANTILE_SAMPLE_ROWS)}`,
    );
    const q = over.getRowObjectsJS()[0]!.q as number[];
    const x = sampled.columns[0]!;
    expect(Object.values(x.quantiles!)).toEqual(q);
    for (const [p, v] of Object.entries(exact.columns[0]!.quantiles!)) expect(Math.abs(x.quantiles![p]! - v!)).toBeLessThan(2e-3);
    // Counts, moments and histograms are over every row either way.
    // (Parallel sums may differ in the last bit between two runs.)
    expect({ ...x, quantiles: undefined, mean: undefined, std: undefined }).toEqual({
      ...exact.columns[0]!,
      quantiles: undefined,
      mean: undefined,
      std: undefined,
    });
    expect(x.mean).toBeCloseTo(exact.columns[0]!.mean!, 12);
    expect(x.std).toBeCloseTo(exact.columns[0]!.std!, 12);
    expect(x.nan).toBe(1);
    expect(x.infinite).toBe(1);
    expect(x.histogram!.counts.reduce((a, b) => a + b, 0)).toBe(249998);
  });
});
