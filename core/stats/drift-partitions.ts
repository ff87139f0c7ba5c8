// Drift over partitioned data: each side of a check (reference, current) is planned into partitions like an
// ingest (a directory, glob, s3:// prefix, a file above partitionRows, or a partitioned dataset version's
// manifest), each partition is summarized where a worker reads it (core/data/partition-summary.ts, with
// value counts of numeric columns too), and the merged summaries give the drift tests (merged-drift.ts).
import type { Client } from 'minio';
import { withDuckDB } from '../data/duckdb';
import { sourceRelation, type Progress } from '../data/ingest';
import { rangeQuery } from '../data/partition-ingest';
import { mergeSummaries } from '../data/partition-statistics';
import { readSummary, summarizePartition, type PartitionSummary } from '../data/partition-summary';
import { MANIFEST_FORMAT, partitionKey, type DatasetManifest } from '../data/partitioned-dataset';
import { planPartitions, staged, type PartitionSource } from '../data/partitions';
import { DataError, detectDelimiter, fetchSource } from '../data/source';
import { canonicalJson } from '../canonical-json';
import type { ArtifactRef, ArtifactStore } from '../store/artifacts';
import { driftFromSummaries, type MergedDrift } from './merged-drift';
import type { DriftOptions } from './drift';

export type DriftSide = 'reference' | 'current';

export interface DriftPartition {
  /** Position among both sides' partitions (the fan-out's key). */
  index: number;
  side: DriftSide;
  source: PartitionSource;
}

export interface DriftPartitionSummary {
  index: number;
  side: DriftSide;
  rows: number;
  summary: ArtifactRef;
}

/** A dataset version's manifest, when `uri` names one in this store. */
async function manifestPartitions(uri: string, artifacts: ArtifactStore): Promise<PartitionSource[] | undefined> {
  if (!uri.startsWith('s3://') || !uri.endsWith('.json')) return undefined;
  let manifest: DatasetManifest;
  try {
    manifest = JSON.parse((await artifacts.getBuffer(artifacts.keyOf(uri))).toString('utf8')) as DatasetManifest;
  } catch {
    return undefined;
  }
  if (manifest.format !== MANIFEST_FORMAT) return undefined;
  return manifest.partitions.map((p, index) => ({ index, uri: artifacts.uri(partitionKey(p.sha256)), format: 'parquet' as const }));
}

/** The partitions of one side, or undefined when it is one file of at most `partitionRows` rows. */
export async function planDriftSide(
  uri: string,
  opts: { partitionRows?: number; delimiter?: string },
  deps: { s3: Client; artifacts: ArtifactStore },
): Promise<PartitionSource[] | undefined> {
  const fromManifest = await manifestPartitions(uri, deps.artifacts);
  if (fromManifest) return fromManifest;
  return (await planPartitions({ uri, partitionRows: opts.partitionRows, delimiter: opts.delimiter }, deps))?.partitions;
}

/** One file as a single partition, staged into the bucket so any worker can read it. */
export async function wholeFilePartition(uri: string, deps: { s3: Client; artifacts: ArtifactStore }): Promise<PartitionSource[]> {
  const source = await fetchSource(uri, { s3: deps.s3 });
  try {
    return [{ index: 0, uri: await staged(uri, deps.artifacts, source.file), format: source.format }];
  } finally {
    await source.cleanup();
  }
}

/** Both sides' partitions numbered together, reference first. */
export function driftPartitions(reference: PartitionSource[], current: PartitionSource[]): DriftPartition[] {
  return [
    ...reference.map((source, i) => ({ index: i, side: 'reference' as const, source })),
    ...current.map((source, i) => ({ index: reference.length + i, side: 'current' as const, source })),
  ];
}

/** One partition's summary for drift: every column's counts, sketch and (up to 256) value counts. */
export async function summarizeDriftPartition(
  part: DriftPartition,
  opts: { delimiter?: string },
  deps: { artifacts: ArtifactStore; s3: Client; onProgress?: Progress },
): Promise<DriftPartitionSummary> {
  const source = await fetchSource(part.source.uri, { s3: deps.s3, format: part.source.format });
  try {
    const delimiter = source.format === 'csv' ? (opts.delimiter ?? (await detectDelimiter(source.file))) : undefined;
    const reader = await sourceRelation(source, { delimiter });
    return await withDuckDB(async (conn) => {
      const where = `${part.side} partition ${part.source.index} (${part.source.uri})`;
      try {
        await conn.run(`CREATE TEMP TABLE part AS ${(await rangeQuery(conn, source, reader, part.source.rows)).sql}`);
      } catch (err) {
        throw new DataError(`${where}: ${(err as Error).message.split('\n')[0]}`);
      }
      const described = await conn.runAndReadAll('DESCRIBE part');
      const columns = described.getRowObjectsJS().map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
      const { summary } = await summarizePartition(conn, 'part', columns, undefined, { numericTopK: true });
      if (summary.rows === 0) throw new DataError(`${where}: no data rows`);
      deps.onProgress?.(`${where}: ${summary.rows} rows × ${columns.length} columns summarized`);
      const ref = await deps.artifacts.putContent('summaries', '.json', canonicalJson(summary), 'application/json');
      return { index: part.index, side: part.side, rows: summary.rows, summary: ref };
    });
  } finally {
    await source.cleanup();
  }
}

async function mergedSide(parts: DriftPartitionSummary[], side: DriftSide, artifacts: ArtifactStore): Promise<PartitionSummary> {
  const mine = parts.filter((p) => p.side === side).sort((a, b) => a.index - b.index);
  if (mine.length === 0) throw new DataError(`drift: no ${side} partitions were summarized`);
  const summaries = [];
  for (const p of mine) {
    const summary = await readSummary(artifacts, artifacts.keyOf(p.summary.uri), p.summary.sha256);
    summaries.push({ name: `${side} partition ${p.index}`, summary });
  }
  return mergeSummaries(summaries);
}

/** Merges each side's partition summaries and runs the drift tests on them. */
export async function mergedDrift(
  parts: DriftPartitionSummary[],
  opts: DriftOptions & { columns?: string[] },
  artifacts: ArtifactStore,
): Promise<MergedDrift & { rows: { reference: number; current: number } }> {
  const reference = await mergedSide(parts, 'reference', artifacts);
  const current = await mergedSide(parts, 'current', artifacts);
  return { ...driftFromSummaries(reference, current, opts), rows: { reference: reference.rows, current: current.rows } };
}
