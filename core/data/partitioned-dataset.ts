// A partitioned dataset version: a manifest (datasets/<sha256>.json) listing each partition's canonical
// Parquet and summary by content hash. The manifest holds content only (no source paths), so the same
// partitions always give the same sha256, wherever they were read from.
import type { ArtifactRef, ArtifactStore } from '../store/artifacts';
import type { ColumnType, DatasetRef } from './ingest';
import type { SchemaChecks } from './partition-summary';
import type { PartitionSource } from './partitions';
import { DataError, type DataFormat } from './source';

export const MANIFEST_FORMAT = 'mlops.partitioned-dataset/1';

/** What one partition's ingest returns. */
export interface PartitionResult {
  index: number;
  uri: string;
  sha256: string;
  rows: number;
  columns: ColumnType[];
  sourceUri: string;
  sourceSha256: string;
  range: PartitionSource['rows'] | null;
  format: DataFormat;
  summary: ArtifactRef;
  /** Counts against the accepted schema given to the partition, if any (not part of the dataset's content). */
  checks: SchemaChecks | null;
}

export interface DatasetManifest {
  format: typeof MANIFEST_FORMAT;
  rows: number;
  columns: ColumnType[];
  partitions: { sha256: string; rows: number; summarySha256: string }[];
}

export const isPartitioned = (dataset: Pick<DatasetRef, 'uri'>): boolean => dataset.uri.endsWith('.json');

export function manifestOf(parts: PartitionResult[]): DatasetManifest {
  const sorted = [...parts].sort((a, b) => a.index - b.index);
  sorted.forEach((p, i) => {
    if (p.index !== i) throw new Error(`partition ${i} is missing from the results (got index ${p.index})`);
  });
  const first = sorted[0]!;
  const shape = (cols: ColumnType[]): string => cols.map((c) => `${c.name} ${c.type}`).join(', ');
  for (const p of sorted) {
    if (shape(p.columns) !== shape(first.columns)) {
      throw new DataError(
        `partition ${p.index} (${p.sourceUri}) has columns (${shape(p.columns)}) but partition 0 (${first.sourceUri}) has (${shape(first.columns)}); every partition needs the same columns and types`,
      );
    }
  }
  return {
    format: MANIFEST_FORMAT,
    rows: sorted.reduce((n, p) => n + p.rows, 0),
    columns: first.columns,
    partitions: sorted.map((p) => ({ sha256: p.sha256, rows: p.rows, summarySha256: p.summary.sha256 })),
  };
}

export async function readManifest(artifacts: ArtifactStore, dataset: Pick<DatasetRef, 'uri' | 'sha256'>): Promise<DatasetManifest> {
  const m = JSON.parse((await artifacts.getBuffer(artifacts.keyOf(dataset.uri), dataset.sha256)).toString('utf8')) as DatasetManifest;
  if (m.format !== MANIFEST_FORMAT) throw new DataError(`${dataset.uri} is not a partitioned dataset manifest`);
  return m;
}

/** Store keys of a manifest's partitions and summaries (content-addressed like every dataset). */
export const partitionKey = (sha256: string): string => `datasets/${sha256}.parquet`;
export const summaryKey = (sha256: string): string => `summaries/${sha256}.json`;
