// Drift from merged partition summaries against the single pass over the same rows: KS D within the sketches'
// rank errors, the normed Wasserstein distance within its bound, category tests exact. No reference values: both
// sides are this project's own code (the single pass is checked against scipy in drift.test.ts and ks.test.ts).
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { literal, withDuckDB } from '../../../core/data/duckdb';
import { mergeSummaries } from '../../../core/data/partition-statistics';
import { summarizePartition, type PartitionSummary } from '../../../core/data/partition-summary';
import { compareDatasets } from '../../../core/stats/compare-datasets';
import type { DriftMethod } from '../../../core/stats/drift';
import { driftFromSummaries } from '../../../core/stats/merged-drift';
import { kllRankErrorBound } from '../../../core/stats/sketch/kll';

const dir = mkdtempSync(path.join(os.tmpdir(), 'merged-drift-'));
const refFile = path.join(dir, 'reference.parquet');
const curFile = path.join(dir, 'current.parquet');
const PARTS = 4;
const CUR_ROWS = 400_000;
let reference: PartitionSummary;
let current: PartitionSummary;

// amount shifts by a little, score by a lot, grade (4 values) and city change their mix.
const rows = (from: number, to: number, shift: number): string =>
  `SELECT (hash(i) % 100000)::DOUBLE / 1000 + ${shift} AS amount, ((hash(i * 3) % 2000)::DOUBLE - 1000) / 37 * ${1 + shift} AS score,
          (hash(i * 5) % ${shift > 0 ? 4 : 3})::INTEGER AS grade, 'city' || (hash(i * 7) % ${shift > 0 ? 60 : 50})::VARCHAR AS city,
          CASE WHEN i % 97 = 0 THEN NULL ELSE (hash(i * 11) % 1000)::DOUBLE END AS sparse
     FROM range(${from}, ${to}) t(i)`;

async function summarize(file: string, ranges: [number, number][]): Promise<PartitionSummary> {
  return withDuckDB(async (conn) => {
    const parts = [];
    for (const [i, [start, count]] of ranges.entries()) {
      await conn.run(`CREATE OR REPLACE TEMP TABLE part AS SELECT * FROM read_parquet(${literal(file)}) LIMIT ${count} OFFSET ${start}`);
      const columns = (await conn.runAndReadAll('DESCRIBE part')).getRowObjectsJS().map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
      parts.push({ name: `part ${i}`, summary: (await summarizePartition(conn, 'part', columns, undefined, { numericTopK: true })).summary });
    }
    return mergeSummaries(parts);
  });
}

beforeAll(async () => {
  await withDuckDB(async (conn) => {
    await conn.run(`COPY (${rows(0, 150_000, 0)}) TO ${literal(refFile)} (FORMAT parquet)`);
    await conn.run(`COPY (${rows(1_000_000, 1_000_000 + CUR_ROWS, 0.25)}) TO ${literal(curFile)} (FORMAT parquet)`);
  });
  reference = await summarize(refFile, [
    [0, 100_000],
    [100_000, 50_000],
  ]);
  const size = CUR_ROWS / PARTS;
  current = await summarize(
    curFile,
    Array.from({ length: PARTS }, (_, i) => [i * size, size] as [number, number]),
  );
}, 120_000);

describe('drift from merged partition summaries', () => {
  it.each(['ks', 'wasserstein', 'psi', 'jensenshannon', 'auto'] as DriftMethod[])(
    'agrees with the single pass within the documented error (%s)',
    async (method) => {
      const single = (await compareDatasets(refFile, curFile, { method })).report;
      const merged = driftFromSummaries(reference, current, { method });
      expect(merged.report.columns.map((c) => [c.name, c.type, c.method])).toEqual(single.columns.map((c) => [c.name, c.type, c.method]));
      const eps = kllRankErrorBound(2048);
      for (const [i, m] of merged.report.columns.entries()) {
        const s = single.columns[i]!;
        expect(m.referenceCount).toBe(s.referenceCount);
        expect(m.currentCount).toBe(s.currentCount);
        if (m.type === 'categorical') {
          // Exact counts: the category tests agree to rounding.
          expect(m.statistic).toBeCloseTo(s.statistic, 9);
          continue;
        }
        const bound = merged.bounds.columns.find((b) => b.name === m.name)!;
        if (m.method === 'ks') {
          expect(bound.ks).toBeCloseTo(2 * eps, 12);
          expect(Math.abs(m.statistic - s.statistic)).toBeLessThanOrEqual(bound.ks);
        } else if (m.method === 'wasserstein') {
          expect(Math.abs(m.statistic - s.statistic)).toBeLessThanOrEqual(bound.wasserstein);
        } else {
          // PSI and Jensen–Shannon over decile bins whose shares move by at most 2ε each.
          expect(Math.abs(m.statistic - s.statistic)).toBeLessThanOrEqual(0.02 * Math.max(1, s.statistic));
        }
        // A verdict can flip only when the single pass sits within the error of its threshold.
        if (m.pValue === null && Math.abs(s.statistic - s.threshold) > 0.02 * s.threshold) expect(m.drifted).toBe(s.drifted);
      }
      console.log(
        `merged vs single (${method}): ${merged.report.columns.map((c, i) => `${c.name} ${c.method} ${c.statistic.toPrecision(5)} vs ${single.columns[i]!.statistic.toPrecision(5)}${c.pValue === null ? '' : ` (p ${c.pValue.toPrecision(3)} vs ${single.columns[i]!.pValue!.toPrecision(3)})`}`).join('; ')}`,
      );
    },
    60_000,
  );

  it('tests a numeric column with few values as categorical, on exact counts', () => {
    const merged = driftFromSummaries(reference, current, { method: 'auto' });
    const grade = merged.report.columns.find((c) => c.name === 'grade')!;
    expect(grade.type).toBe('categorical');
  });

  it('skips a categorical column whose partitions listed only their top values', () => {
    const wide = structuredClone(current);
    const city = wide.columns.find((c) => c.name === 'city')!;
    city.topK = { ...city.topK!, floor: 3 };
    const merged = driftFromSummaries(reference, wide, { method: 'auto' });
    expect(merged.report.columns.map((c) => c.name)).not.toContain('city');
    expect(merged.skipped).toContainEqual({ name: 'city', reason: expect.stringContaining('256') as string });
  });
});
