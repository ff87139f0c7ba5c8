// A dataset artifact as a DuckDB relation: the canonical Parquet is fetched (hash verified) into a scratch
// folder for the duration of `fn`, then removed. Every stage that reads a dataset goes through here. A
// partitioned dataset is its manifest's partitions, read as one relation in partition order.
// With `rowNumbers`, the relation also has the column `file_row_number` (0-based within each file), for
// stride samples in SQL.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ArtifactStore } from '../store/artifacts';
import { literal, withDuckDB } from './duckdb';
import type { DatasetRef } from './ingest';
import { isPartitioned, partitionKey, readManifest } from './partitioned-dataset';
import { parquetTable } from './statistics';

export async function withDatasetTable<T>(
  artifacts: ArtifactStore,
  dataset: Pick<DatasetRef, 'uri' | 'sha256'>,
  fn: (conn: DuckDBConnection, table: string) => Promise<T>,
  opts: { rowNumbers?: boolean } = {},
): Promise<T> {
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
      const list = `[${files.map(literal).join(', ')}]`;
      return await withDuckDB((conn) => fn(conn, opts.rowNumbers ? `read_parquet(${list}, file_row_number = true)` : `read_parquet(${list})`));
    }
    const file = path.join(work, 'dataset.parquet');
    await artifacts.getFile(artifacts.keyOf(dataset.uri), file, dataset.sha256);
    const table = opts.rowNumbers ? `read_parquet(${literal(file)}, file_row_number = true)` : parquetTable(file);
    return await withDuckDB((conn) => fn(conn, table));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
