// The feedback-drift report of a partitioned input (source partitions' merged summary against the feedback
// partition's summary) against the single-file report over the same rows: the same columns, tests and verdicts,
// and the same statistics (below the sketch size a KLL sketch holds every value, so KS is exact here too).
import { describe, expect, it } from 'vitest';
import { withDuckDB } from '../../../core/data/duckdb';
import { feedbackDrift, feedbackDriftFromSummaries } from '../../../core/data/feedback-drift';
import { mergeSummaries } from '../../../core/data/partition-statistics';
import { summarizePartition } from '../../../core/data/partition-summary';

// Source rows, then feedback rows whose amount moved and whose plan mix changed; note is never logged with
// feedback (all NULL there), churned is the target and age the protected attribute.
const rows = (from: number, to: number, feedback: boolean): string =>
  `SELECT (hash(i) % 10000)::DOUBLE / 100 + ${feedback ? 15 : 0} AS amount, (hash(i * 3) % 700)::INTEGER AS calls,
          'plan' || (hash(i * 5) % ${feedback ? 2 : 3})::VARCHAR AS plan, ${feedback ? 'NULL::VARCHAR' : `'n' || (i % 7)::VARCHAR`} AS note,
          (hash(i * 7) % 2 = 0) AS churned, (20 + hash(i * 11) % 50)::INTEGER AS age
     FROM range(${from}, ${to}) t(i)`;

describe('feedback drift of a partitioned input', () => {
  it('reports what the single-file path reports for the same rows', async () => {
    await withDuckDB(async (conn) => {
      await conn.run(`CREATE TEMP TABLE p0 AS ${rows(0, 900, false)}`);
      await conn.run(`CREATE TEMP TABLE p1 AS ${rows(900, 1500, false)}`);
      await conn.run(`CREATE TEMP TABLE fb AS ${rows(5000, 5300, true)}`);
      await conn.run('CREATE TEMP TABLE everything AS SELECT * FROM p0');
      for (const t of ['p1', 'fb']) await conn.run(`INSERT INTO everything SELECT * FROM ${t}`);
      const columns = (await conn.runAndReadAll('DESCRIBE p0')).getRowObjectsJS().map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
      const skip = new Set(['churned', 'age']);

      const single = (await feedbackDrift(conn, 'everything', columns, 1500, skip))!;
      const summary = async (t: string) => (await summarizePartition(conn, t, columns)).summary;
      const source = mergeSummaries([
        { name: 'p0', summary: await summary('p0') },
        { name: 'p1', summary: await summary('p1') },
      ]);
      const parted = feedbackDriftFromSummaries(source, await summary('fb'), skip)!;

      expect(single.columns.map((c) => c.name)).toEqual(['amount', 'calls', 'plan']);
      expect(parted).toMatchObject({ sourceRows: 1500, feedbackRows: 300, driftedShare: single.driftedShare });
      expect(parted.columns.map(({ name, method, drifted }) => ({ name, method, drifted }))).toEqual(
        single.columns.map(({ name, method, drifted }) => ({ name, method, drifted })),
      );
      for (const [i, c] of parted.columns.entries()) expect(c.statistic).toBeCloseTo(single.columns[i]!.statistic, 12);
      expect(parted.columns.find((c) => c.name === 'amount')!.drifted).toBe(true);
      expect(parted.columns.find((c) => c.name === 'plan')!.drifted).toBe(true);
      expect(parted.columns.find((c) => c.name === 'calls')!.drifted).toBe(false);
    });
  });

  it('is null when no column can be compared', async () => {
    await withDuckDB(async (conn) => {
      await conn.run(`CREATE TEMP TABLE src AS SELECT 'a' || (i % 3)::VARCHAR AS plan, i % 2 AS y FROM range(100) t(i)`);
      await conn.run('CREATE TEMP TABLE fb AS SELECT NULL::VARCHAR AS plan, 1::BIGINT AS y FROM range(5)');
      const columns = (await conn.runAndReadAll('DESCRIBE src')).getRowObjectsJS().map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
      const source = (await summarizePartition(conn, 'src', columns)).summary;
      const fb = (await summarizePartition(conn, 'fb', columns)).summary;
      expect(feedbackDriftFromSummaries(source, fb, new Set(['y']))).toBeNull();
    });
  });

  it('reads a one-row source and list, date and quoted columns without failing, on both paths', async () => {
    await withDuckDB(async (conn) => {
      const one = (x: number, tag: string, day: string) =>
        `SELECT ${x}::DOUBLE AS "select", '${tag}' AS "weird ""col""", 1::BIGINT AS y, DATE '${day}' AS d, [${x}::BIGINT] AS l`;
      await conn.run(`CREATE TEMP TABLE src AS ${one(0, 'a', '2020-01-01')}`);
      await conn.run(`CREATE TEMP TABLE fb AS ${one(5, 'b', '2021-01-01')}`);
      await conn.run('CREATE TEMP TABLE everything AS SELECT * FROM src UNION ALL SELECT * FROM fb');
      const columns = (await conn.runAndReadAll('DESCRIBE src')).getRowObjectsJS().map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
      const skip = new Set(['y']);
      const single = (await feedbackDrift(conn, 'everything', columns, 1, skip))!;
      expect(single).toMatchObject({ sourceRows: 1, feedbackRows: 1 });
      expect(single.columns.map((c) => c.name)).toEqual(['select', 'weird "col"', 'd', 'l']);
      const source = (await summarizePartition(conn, 'src', columns)).summary;
      const parted = feedbackDriftFromSummaries(source, (await summarizePartition(conn, 'fb', columns)).summary, skip)!;
      expect(parted.columns.map((c) => c.name)).toEqual(['select', 'weird "col"']);
      expect(parted.skipped!.map((c) => c.name)).toEqual(['d', 'l']);
    });
  });
});
