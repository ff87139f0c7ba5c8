// A row range of a split Parquet file is read from the row groups that cover it (file_row_number pushdown), and
// gives the same rows, in the same order, as LIMIT/OFFSET over the whole file; but not the same Parquet bytes when
// written, which is why ingest keeps LIMIT/OFFSET (partition sha256s stay as they were).
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { literal, withDuckDB } from '../../../core/data/duckdb';
import { rangeQuery } from '../../../core/data/partition-ingest';
import { hashFile } from '../../../core/store/artifacts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'partition-range-'));

describe('row ranges of a Parquet file', () => {
  it('read only the row groups of the range and give the rows LIMIT/OFFSET gives, in order', async () => {
    await withDuckDB(async (conn) => {
      const file = path.join(dir, 'source.parquet');
      // 1M rows in row groups of 100k, so ranges start and end inside row groups.
      await conn.run(
        `COPY (SELECT i AS id, (hash(i) % 1000)::DOUBLE / 7 AS x, 'c' || (i % 13)::VARCHAR AS c FROM range(1000000) t(i)) TO ${literal(file)} (FORMAT parquet, ROW_GROUP_SIZE 100000)`,
      );
      const source = { file, format: 'parquet' as const, bytes: 0, cleanup: async () => undefined };
      const reader = `read_parquet(${literal(file)})`;
      for (const range of [
        { start: 0, count: 333_333 },
        { start: 333_333, count: 333_333 },
        { start: 666_666, count: 333_334 },
      ]) {
        expect((await rangeQuery(conn, source, reader, range)).pruned).toBe(true);
        const a = path.join(dir, `a-${range.start}.parquet`);
        const b = path.join(dir, `b-${range.start}.parquet`);
        await conn.run(`COPY (${(await rangeQuery(conn, source, reader, range)).sql}) TO ${literal(a)} (FORMAT parquet, COMPRESSION zstd)`);
        await conn.run(`COPY (SELECT * FROM ${reader} LIMIT ${range.count} OFFSET ${range.start}) TO ${literal(b)} (FORMAT parquet, COMPRESSION zstd)`);
        const mismatches = await conn.runAndReadAll(
          `SELECT count(*)::BIGINT AS n FROM (SELECT *, row_number() OVER () AS r FROM read_parquet(${literal(a)})) x
             FULL JOIN (SELECT *, row_number() OVER () AS r FROM read_parquet(${literal(b)})) y USING (r)
            WHERE x.id IS DISTINCT FROM y.id OR x.x IS DISTINCT FROM y.x OR x.c IS DISTINCT FROM y.c`,
        );
        expect(Number(mismatches.getRowObjectsJS()[0]!.n)).toBe(0);
        if (range.start === 333_333) expect(await hashFile(a)).not.toBe(await hashFile(b));
        const first = (
          await conn.runAndReadAll(`SELECT min(id)::BIGINT AS lo, max(id)::BIGINT AS hi, count(*)::BIGINT AS n FROM read_parquet(${literal(a)})`)
        ).getRowObjectsJS()[0]!;
        expect([Number(first.lo), Number(first.hi), Number(first.n)]).toEqual([range.start, range.start + range.count - 1, range.count]);
      }
      // The scan prunes the row groups outside the range.
      const plan = (await conn.runAndReadAll(`EXPLAIN ANALYZE ${(await rangeQuery(conn, source, reader, { start: 900_000, count: 50_000 })).sql}`)).getRowsJS();
      expect(String(plan[0]![1])).toMatch(/file_row_number>=900000/);
    });
  });

  it('fall back to LIMIT/OFFSET when the file has a column named file_row_number, and refuse a range that is not whole numbers', async () => {
    await withDuckDB(async (conn) => {
      const file = path.join(dir, 'clash.parquet');
      await conn.run(`COPY (SELECT i AS file_row_number FROM range(10) t(i)) TO ${literal(file)} (FORMAT parquet)`);
      const source = { file, format: 'parquet' as const, bytes: 0, cleanup: async () => undefined };
      const reader = `read_parquet(${literal(file)})`;
      expect(await rangeQuery(conn, source, reader, { start: 2, count: 3 })).toEqual({ sql: `SELECT * FROM ${reader} LIMIT 3 OFFSET 2`, pruned: false });
      await expect(rangeQuery(conn, source, reader, { start: 1.5, count: 3 })).rejects.toThrow(/whole numbers/);
    });
  });
});
