// Merged (partitioned) statistics against the single pass over the same rows: the largest error of each kind,
// measured against the rows themselves where the single pass is itself approximate (distinct counts).
import { expect } from 'vitest';
import type { DuckDBConnection } from '@duckdb/node-api';
import { ident } from '../../core/data/duckdb';
import type { DatasetStatistics } from '../../core/data/statistics';
import { hllRelativeStdError } from '../../core/stats/sketch/hll';
import { DEFAULT_KLL_K, kllRankErrorBound } from '../../core/stats/sketch/kll';

export interface Agreement {
  /** Largest relative error of mean and std. */
  moments: number;
  /** Largest quantile error in rank (fraction of the column's finite values). */
  quantileRank: number;
  /** Largest histogram bin error as a fraction of the column's finite values. */
  histogram: number;
  /** Largest relative error of a distinct count against the exact count. */
  distinct: number;
}

/** Asserts the merged statistics agree with the single pass within the documented errors; returns the errors seen. */
export async function expectAgreement(conn: DuckDBConnection, table: string, merged: DatasetStatistics, single: DatasetStatistics): Promise<Agreement> {
  const seen: Agreement = { moments: 0, quantileRank: 0, histogram: 0, distinct: 0 };
  expect(merged.rows).toBe(single.rows);
  expect(merged.columns.map((c) => [c.name, c.type, c.kind])).toEqual(single.columns.map((c) => [c.name, c.type, c.kind]));
  for (const [i, m] of merged.columns.entries()) {
    const s = single.columns[i]!;
    expect({ count: m.count, missing: m.missing, nan: m.nan, infinite: m.infinite, min: m.min, max: m.max }, m.name).toEqual({
      count: s.count,
      missing: s.missing,
      nan: s.nan,
      infinite: s.infinite,
      min: s.min,
      max: s.max,
    });
    const col = ident(m.name);
    const exact = Number((await conn.runAndReadAll(`SELECT count(DISTINCT ${col})::BIGINT AS n FROM ${table}`)).getRowObjectsJS()[0]!.n);
    const distinctError = exact === 0 ? 0 : Math.abs(m.distinct - exact) / exact;
    seen.distinct = Math.max(seen.distinct, distinctError);
    expect(distinctError, `${m.name}: distinct ${m.distinct} vs exact ${exact}`).toBeLessThanOrEqual(3 * hllRelativeStdError());
    if (m.kind === 'numeric' && s.mean != null && m.mean != null) {
      for (const [a, b] of [
        [m.mean, s.mean],
        [m.std, s.std],
      ] as [number | null, number | null][]) {
        if (a === null || b === null) continue;
        const rel = b === 0 ? Math.abs(a) : Math.abs(a - b) / Math.abs(b);
        seen.moments = Math.max(seen.moments, rel);
        expect(rel, `${m.name}: ${a} vs ${b}`).toBeLessThan(1e-9);
      }
      const finite = `${col}::DOUBLE`;
      const n = s.count - (s.nan ?? 0) - (s.infinite ?? 0);
      for (const key of Object.keys(s.quantiles ?? {})) {
        const [a, b] = [m.quantiles![key]!, s.quantiles![key]!];
        const res = await conn.runAndReadAll(
          `SELECT count(*) FILTER (WHERE ${finite} <= $1)::BIGINT AS a, count(*) FILTER (WHERE ${finite} <= $2)::BIGINT AS b FROM ${table} WHERE isfinite(${finite})`,
          [a, b],
        );
        const row = res.getRowObjectsJS()[0]!;
        // quantile_cont interpolates between neighbours: allow the one rank that separates them.
        const err = Math.max(0, Math.abs(Number(row.a) - Number(row.b)) - 1) / n;
        seen.quantileRank = Math.max(seen.quantileRank, err);
        expect(err, `${m.name} ${key}: ${a} vs ${b}`).toBeLessThanOrEqual(kllRankErrorBound(DEFAULT_KLL_K));
      }
      if (s.histogram && m.histogram) {
        expect(m.histogram.edges).toEqual(s.histogram.edges);
        m.histogram.counts.forEach((c, k) => {
          const err = Math.abs(c - s.histogram!.counts[k]!) / n;
          seen.histogram = Math.max(seen.histogram, err);
          expect(err, `${m.name} bin ${k}`).toBeLessThanOrEqual(2 * kllRankErrorBound(DEFAULT_KLL_K));
        });
      }
    }
    if (s.topK) expect(m.topK, m.name).toEqual(s.topK);
  }
  return seen;
}
