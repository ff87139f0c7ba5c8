// The partitioned ingest as activities: one per partition (its rows to canonical Parquet plus a mergeable
// summary, lineage per partition), and the merge that records the dataset version over all of them.
import type { Client } from 'minio';
import type pg from 'pg';
import { ingestPartition as ingestOnePartition, storePartitionedDataset } from '../core/data/partition-ingest';
import type { PartitionResult } from '../core/data/partitioned-dataset';
import { feedbackPartition } from '../core/data/feedback-partition';
import type { DatasetRef, Progress } from '../core/data/ingest';
import type { PartitionSource } from '../core/data/partitions';
import type { DatasetSchema } from '../core/data/schema';
import type { ArtifactStore } from '../core/store/artifacts';
import type { LineageStore } from '../core/store/lineage';
import { labelledRows } from '../core/monitor/logged';
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
  /** Append the model's logged predictions that got feedback labels (spec data.feedback), as a last partition. */
  feedback?: { target: string; protected: string[]; maxShare?: number };
  /** The accepted schema the partitions were checked against: the feedback partition is checked the same way. */
  schema?: { uri: string; sha256: string };
}

/** The model's accepted schema, as a partition checks against it. */
async function readSchema(artifacts: ArtifactStore, ref: { uri: string; sha256: string }): Promise<{ sha256: string; schema: DatasetSchema }> {
  return { sha256: ref.sha256, schema: JSON.parse((await artifacts.getBuffer(artifacts.keyOf(ref.uri), ref.sha256)).toString('utf8')) as DatasetSchema };
}

export function makePartitions(deps: { artifacts: ArtifactStore; lineage: LineageStore; s3: Client; pool: pg.Pool }) {
  /** The labelled predictions as the partition after the source partitions (their columns, at most maxShare of the rows). */
  async function feedbackOf(input: MergePartitionsInput, feedback: NonNullable<MergePartitionsInput['feedback']>, progress: Progress) {
    const first = input.partitions.find((p) => p.index === 0);
    if (!first) return undefined; // the merge names the missing partition
    const rows = await labelledRows(deps.pool, input.model);
    if (rows.length === 0) return undefined;
    return feedbackPartition(
      {
        index: input.partitions.length,
        sourceUri: `feedback:${input.model}`,
        columns: first.columns,
        sourceRows: input.partitions.reduce((n, p) => n + p.rows, 0),
        sourceSummaries: [...input.partitions].sort((a, b) => a.index - b.index).map((p) => p.summary),
      },
      { ...feedback, rows },
      { ...(input.schema ? { schema: await readSchema(deps.artifacts, input.schema) } : {}) },
      { artifacts: deps.artifacts, onProgress: progress },
    );
  }

  return {
    async ingestPartition(input: IngestPartitionInput): Promise<PartitionResult> {
      const p = input.partition;
      return runStage(
        deps.lineage,
        'ingest-partition',
        input.model,
        async (progress) => {
          const schema = input.schema ? await readSchema(deps.artifacts, input.schema) : undefined;
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
        const added = input.feedback ? await feedbackOf(input, input.feedback, progress) : undefined;
        const stored = await storePartitionedDataset({ sourceUri: input.sourceUri }, input.partitions, deps.artifacts, added?.partition ?? undefined);
        const ref: DatasetRef = added
          ? {
              ...stored,
              feedbackRows: added.added,
              ...(added.capped ? { feedbackCapped: added.capped } : {}),
              ...(added.drift ? { feedbackDrift: added.drift } : {}),
            }
          : stored;
        progress(`${ref.rows} rows in ${ref.partitions} partitions: dataset ${ref.sha256.slice(0, 12)}`);
        const parts = added?.partition ? [...input.partitions, added.partition] : input.partitions;
        return {
          result: ref,
          params: {
            uri: input.sourceUri,
            format: ref.format,
            partitions: ref.partitions,
            ...(added ? { feedbackRows: added.added, feedbackCapped: added.capped, feedbackDrift: added.drift ?? null } : {}),
          },
          inputs: parts.map((p) => ({ uri: p.uri, sha256: p.sha256, type: 'DatasetPartition', properties: { index: p.index } })),
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
                partitions: ref.partitions,
              },
            },
          ],
        };
      });
    },
  };
}
