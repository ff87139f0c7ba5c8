// A dataset artifact as a DuckDB relation: the canonical Parquet is fetched (hash verified) into a scratch
// folder for the duration of `fn`, then removed. Every stage that reads a dataset goes through here. A
// partitioned dataset is its manifest's partitions, read as one relation in partition order.
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
      return await withDuckDB((conn) => fn(conn, `read_parquet([${files.map(literal).join(', ')}])`));
    }
    const file = path.join(work, 'dataset.parquet');
    await artifacts.getFile(artifacts.keyOf(dataset.uri), file, dataset.sha256);
    return await withDuckDB((conn) => fn(conn, parquetTable(file)));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
