// The one DuckDB factory: an in-memory database per task, with bounded memory that spills to disk.
import os from 'node:os';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

export interface DuckDB {
  conn: DuckDBConnection;
  close: () => void;
}

export async function openDuckDB(opts: { threads?: number; memoryLimit?: string } = {}): Promise<DuckDB> {
  const instance = await DuckDBInstance.create(':memory:', {
    threads: String(opts.threads ?? Math.max(1, Math.min(os.cpus().length, 4))),
    memory_limit: opts.memoryLimit ?? '2GB',
    temp_directory: os.tmpdir(),
    // Extensions are never downloaded at run time: parquet and json are built in.
    autoinstall_known_extensions: 'false',
  });
  const conn = await instance.connect();
  return {
    conn,
    close: () => {
      conn.closeSync();
      instance.closeSync();
    },
  };
}

export async function withDuckDB<T>(fn: (conn: DuckDBConnection) => Promise<T>, opts?: { threads?: number; memoryLimit?: string }): Promise<T> {
  const db = await openDuckDB(opts);
  try {
    return await fn(db.conn);
  } finally {
    db.close();
  }
}

/** A SQL identifier for any column name (double quotes doubled). */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A SQL string literal (single quotes doubled); for file paths DuckDB cannot take as parameters. */
export function literal(value: string): string {
  if (value.includes('\0')) throw new Error('a NUL byte cannot appear in a SQL literal');
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * Whether `relation` has a column of its own named file_row_number: DuckDB's `file_row_number = true` option
 * (a 0-based row index of each Parquet file) refuses such a file, so callers number the rows another way.
 */
export async function hasFileRowNumberColumn(conn: DuckDBConnection, relation: string): Promise<boolean> {
  const described = await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${relation}`);
  return described.getRowObjectsJS().some((r) => String(r.column_name).toLowerCase() === 'file_row_number');
}
