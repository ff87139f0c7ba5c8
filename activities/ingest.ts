// The ingest stage as an activity: core/data/ingest plus heartbeats and lineage. A caller that can fan out
// (`fanOut`) gets a partition plan back for a partitioned input instead (activities/partitions.ts ingests it).
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Client } from 'minio';
import { ingest, type DatasetRef, type IngestOptions } from '../core/data/ingest';
import { planPartitions, type PartitionPlan } from '../core/data/partitions';
import { DataError } from '../core/data/source';
import type { ArtifactStore } from '../core/store/artifacts';
import type { LineageStore } from '../core/store/lineage';
import type { SchemaStore } from '../core/store/schemas';
import type pg from 'pg';
import { labelledRows } from '../core/monitor/logged';
import { runStage } from './stage';

export interface IngestInput extends IngestOptions {
  model: string;
  /** Append the model's logged predictions that got feedback labels (spec data.feedback). */
  feedback?: { target: string; protected: string[]; maxShare?: number };
  /** The caller fans partitions out: return the plan of a partitioned input rather than ingesting it. */
  fanOut?: boolean;
  /** Rows above which a single file is split (spec data.partitionRows). */
  partitionRows?: number;
}

/** A partitioned input: the partitions to ingest, and the accepted schema they are checked against. */
export interface PartitionedIngest {
  plan: PartitionPlan;
  schema: { uri: string; sha256: string } | null;
}

export const isPartitionedIngest = (x: DatasetRef | PartitionedIngest): x is PartitionedIngest => 'plan' in x;

export function makeIngest(deps: { artifacts: ArtifactStore; lineage: LineageStore; s3: Client; pool: pg.Pool; schemas: SchemaStore }) {
  return async function ingestDataset(input: IngestInput): Promise<DatasetRef | PartitionedIngest> {
    if (input.fanOut) {
      const partitioned = await planPartitioned(input, deps);
      if (partitioned) return partitioned;
    }
    return runStage(deps.lineage, 'ingest', input.model, async (progress) => {
      const feedback = input.feedback ? { ...input.feedback, rows: await labelledRows(deps.pool, input.model) } : undefined;
      const ref = await ingest(input, { artifacts: deps.artifacts, s3: deps.s3, onProgress: progress, ...(feedback ? { feedback } : {}) });
      return {
        result: ref,
        params: {
          uri: input.uri,
          format: ref.format,
          delimiter: input.delimiter ?? null,
          feedbackRows: ref.feedbackRows ?? 0,
          feedbackCapped: ref.feedbackCapped ?? 0,
          feedbackDrift: ref.feedbackDrift ?? null,
        },
        outputs: [
          {
            uri: ref.uri,
            sha256: ref.sha256,
            type: 'Dataset',
            properties: { sourceUri: ref.sourceUri, sourceSha256: ref.sourceSha256, rows: ref.rows, columns: ref.columns },
          },
        ],
      };
    });
  };
}

async function planPartitioned(
  input: IngestInput,
  deps: { artifacts: ArtifactStore; s3: Client; schemas: SchemaStore },
): Promise<PartitionedIngest | undefined> {
  const ctx = Context.current();
  const timer = setInterval(() => ctx.heartbeat({ stage: 'ingest', message: 'planning partitions' }), 1_000);
  try {
    const plan = await planPartitions(input, deps);
    if (!plan) return undefined;
    const accepted = await deps.schemas.current(input.model);
    ctx.log.info(`ingest: ${input.uri} is ${plan.partitions.length} partitions`);
    return { plan, schema: accepted ? { uri: accepted.uri, sha256: accepted.sha256 } : null };
  } catch (err) {
    if (err instanceof DataError) throw ApplicationFailure.create({ type: 'InvalidData', message: err.message, nonRetryable: true });
    throw err;
  } finally {
    clearInterval(timer);
  }
}
