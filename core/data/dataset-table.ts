// A dataset artifact as a DuckDB relation: the canonical Parquet is fetched (hash verified) into a scratch
// folder for the duration of `fn`, then removed. Every stage that reads a dataset goes through here. A
// partitioned dataset is its manifest's partitions, read as one relation in partition order.
// With `rowNumbers`, the relation also has a 0-based row-number column, for stride samples in SQL, and `fn` is
// told its name: DuckDB's `file_row_number` (within each file), or `__mlops_row` (over the relation, in file
// order) when the data has a column of its own named file_row_number, which DuckDB's option refuses.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ArtifactStore } from '../store/artifacts';
import { INTERNAL_PREFIX } from './column-names';
import { hasFileRowNumberColumn, literal, withDuckDB } from './duckdb';
import type { DatasetRef } from './ingest';
import { isPartitioned, partitionKey, readManifest } from './partitioned-dataset';
import { parquetTable } from './statistics';

const FILE_ROW_NUMBER = 'file_row_number';
const ROW = `${INTERNAL_PREFIX}row`;

export async function withDatasetTable<T>(
  artifacts: ArtifactStore,
  dataset: Pick<DatasetRef, 'uri' | 'sha256'>,
  fn: (conn: DuckDBConnection, table: string, rowNumber: string) => Promise<T>,
  opts: { rowNumbers?: boolean } = {},
): Promise<T> {
  const open = (files: string): ((conn: DuckDBConnection) => Promise<T>) => {
    const plain = `read_parquet(${files})`;
    return async (conn) => {
      if (!opts.rowNumbers) return fn(conn, plain, '');
      if (!(await hasFileRowNumberColumn(conn, plain))) return fn(conn, `read_parquet(${files}, file_row_number = true)`, FILE_ROW_NUMBER);
      return fn(conn, `(SELECT *, row_number() OVER () - 1 AS ${ROW} FROM ${plain})`, ROW);
    };
  };
  const work = await mkdtemp(path.join(os.tmpdir(), 'mlops-dataset-'));
  try {
    if (isPartitioned(dataset)) {
      const manifest = await readManifest(artifacts, dataset);
      const files: string[] = [];
      for (const [i, p] of manifest.partitions.entries()) {
        const file = path.join(work, `part-${String(i).padStart(5, '0')}.parquet`);
        await artifacts.getFile(partitionKey(p.sha256), file, p.sha256);
        files.push(file);
      }
      return await withDuckDB(open(`[${files.map(literal).join(', ')}]`));
    }
    const file = path.join(work, 'dataset.parquet');
    await artifacts.getFile(artifacts.keyOf(dataset.uri), file, dataset.sha256);
    return await withDuckDB(opts.rowNumbers ? open(literal(file)) : (conn) => fn(conn, parquetTable(file), ''));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
