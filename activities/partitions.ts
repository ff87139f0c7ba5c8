// The partitioned ingest as activities: one per partition (its rows to canonical Parquet plus a mergeable
// summary, lineage per partition), and the merge that records the dataset version over all of them.
import type { Client } from 'minio';
import { ingestPartition as ingestOnePartition, storePartitionedDataset } from '../core/data/partition-ingest';
import type { PartitionResult } from '../core/data/partitioned-dataset';
import type { DatasetRef } from '../core/data/ingest';
import type { PartitionSource } from '../core/data/partitions';
import type { DatasetSchema } from '../core/data/schema';
import type { ArtifactStore } from '../core/store/artifacts';
import type { LineageStore } from '../core/store/lineage';
import { runStage } from './stage';

export interface IngestPartitionInput {
  model: string;
  partition: PartitionSource;
  delimiter?: string;
  /** The model's accepted schema when the plan was made: the partition counts values outside it. */
  schema?: { uri: string; sha256: string };
}

export interface MergePartitionsInput {
  model: string;
  sourceUri: string;
  partitions: PartitionResult[];
}

export function makePartitions(deps: { artifacts: ArtifactStore; lineage: LineageStore; s3: Client }) {
  return {
    async ingestPartition(input: IngestPartitionInput): Promise<PartitionResult> {
      const p = input.partition;
      return runStage(
        deps.lineage,
        'ingest-partition',
        input.model,
        async (progress) => {
          const schema = input.schema
            ? {
                sha256: input.schema.sha256,
                schema: JSON.parse(
                  (await deps.artifacts.getBuffer(deps.artifacts.keyOf(input.schema.uri), input.schema.sha256)).toString('utf8'),
                ) as DatasetSchema,
              }
            : undefined;
          const r = await ingestOnePartition(p, { delimiter: input.delimiter, schema }, { artifacts: deps.artifacts, s3: deps.s3, onProgress: progress });
          return {
            result: r,
            params: { index: p.index, source: p.uri, range: p.rows ?? null },
            inputs: [{ uri: p.uri, sha256: r.sourceSha256, type: 'DataSource' }],
            outputs: [
              { uri: r.uri, sha256: r.sha256, type: 'DatasetPartition', properties: { index: p.index, rows: r.rows, range: p.rows ?? null, sourceUri: p.uri } },
              { uri: r.summary.uri, sha256: r.summary.sha256, type: 'PartitionSummary', properties: { index: p.index } },
            ],
          };
        },
        { part: String(p.index) },
      );
    },

    async mergePartitions(input: MergePartitionsInput): Promise<DatasetRef> {
      return runStage(deps.lineage, 'ingest', input.model, async (progress) => {
        const ref = await storePartitionedDataset({ sourceUri: input.sourceUri }, input.partitions, deps.artifacts);
        progress(`${ref.rows} rows in ${input.partitions.length} partitions: dataset ${ref.sha256.slice(0, 12)}`);
        return {
          result: ref,
          params: { uri: input.sourceUri, format: ref.format, partitions: input.partitions.length },
          inputs: input.partitions.map((p) => ({ uri: p.uri, sha256: p.sha256, type: 'DatasetPartition', properties: { index: p.index } })),
          outputs: [
            {
              uri: ref.uri,
              sha256: ref.sha256,
              type: 'Dataset',
              properties: {
                sourceUri: ref.sourceUri,
                sourceSha256: ref.sourceSha256,
                rows: ref.rows,
                columns: ref.columns,
                partitions: input.partitions.length,
              },
            },
          ],
        };
      });
    },
  };
}
