// The row count read from a Parquet footer alone equals DuckDB's count of the file, for files DuckDB writes with
// flat, nested and wide schemas, empty and with many row groups; anything that is not a footer gives undefined.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { literal, withDuckDB } from '../../../core/data/duckdb';
import { parquetFooterRows } from '../../../core/data/parquet-footer';

const dir = mkdtempSync(path.join(os.tmpdir(), 'mlops-footer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The footer bytes of a Parquet file: before its last 8 bytes (length, "PAR1"). */
function footerOf(file: string): Uint8Array {
  const bytes = readFileSync(file);
  const length = bytes.readUInt32LE(bytes.length - 8);
  return bytes.subarray(bytes.length - 8 - length, bytes.length - 8);
}

const CASES: Record<string, string> = {
  flat: 'SELECT i, i * 0.5 AS x, CAST(i % 7 AS VARCHAR) AS s, i % 2 = 0 AS b FROM range(12345) t(i)',
  empty: 'SELECT i, CAST(i AS VARCHAR) AS s FROM range(0) t(i)',
  nested: "SELECT i, [i, i + 1] AS l, {'a': i, 'b': 'x' || i} AS st, MAP {'k': i} AS m FROM range(3000) t(i)",
  wide: `SELECT ${Array.from({ length: 60 }, (_, c) => `i + ${c} AS c${c}`).join(', ')} FROM range(1000) t(i)`,
  'many row groups': 'SELECT i, random() AS r FROM range(300000) t(i)',
};

describe('parquetFooterRows', () => {
  it("reads num_rows from footers DuckDB writes, equal to DuckDB's count", async () => {
    await withDuckDB(async (conn) => {
      for (const [name, query] of Object.entries(CASES)) {
        const file = path.join(dir, `${name.replace(/ /g, '-')}.parquet`);
        await conn.run(`COPY (${query}) TO ${literal(file)} (FORMAT parquet, ROW_GROUP_SIZE 20000)`);
        const counted = Number((await conn.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM read_parquet(${literal(file)})`)).getRowObjectsJS()[0]!.n);
        expect(parquetFooterRows(footerOf(file)), name).toBe(counted);
      }
    });
  });

  it('gives undefined for bytes that are not a footer', () => {
    expect(parquetFooterRows(new Uint8Array(0))).toBeUndefined();
    expect(parquetFooterRows(Uint8Array.of(0x15, 0x02))).toBeUndefined(); // a field, then the end
    expect(parquetFooterRows(Uint8Array.of(0x00))).toBeUndefined(); // a struct with no num_rows
    expect(parquetFooterRows(Uint8Array.of(0x1d))).toBeUndefined(); // type 13 does not exist
    expect(parquetFooterRows(new TextEncoder().encode('id,name\n1,a\n'))).toBeUndefined();
  });
});
