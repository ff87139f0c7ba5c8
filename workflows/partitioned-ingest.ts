// Fan-out of a partitioned input (temporalio samples-typescript batch-sliding-window): the ingestPartitions
// child workflow keeps at most `window` partition activities in flight (workflows/sliding-window.ts), and
// continues as new, carrying the results so far, before its history grows large. The parent merges the
// results into one dataset version.
import { continueAsNew, executeChild, workflowInfo } from '@temporalio/workflow';
import type { IngestInput, PartitionedIngest } from '../activities/ingest';
import type { DatasetRef } from '../core/data/ingest';
import type { PartitionResult } from '../core/data/partitioned-dataset';
import type { PartitionSource } from '../core/data/partitions';
import type { Priority } from '@temporalio/common';
import { slidingWindow } from './sliding-window';
import { activitiesFor } from './stages';

// Partitions inherit the child workflow's priority and fairness key (set by ingestStage).
const { ingestPartition } = activitiesFor('ingestPartition');

export interface IngestPartitionsInput {
  model: string;
  partitions: PartitionSource[];
  delimiter?: string;
  schema: { uri: string; sha256: string } | null;
  window?: number;
  /** History events after which the workflow continues as new (default PARTITION_HISTORY_LIMIT). */
  historyLimit?: number;
  /** Results carried over continue-as-new. */
  done?: PartitionResult[];
}

export async function ingestPartitions(input: IngestPartitionsInput): Promise<PartitionResult[]> {
  const { done, complete } = await slidingWindow(
    input.partitions,
    input.done ?? [],
    (partition) =>
      ingestPartition({
        model: input.model,
        partition,
        ...(input.delimiter !== undefined ? { delimiter: input.delimiter } : {}),
        ...(input.schema ? { schema: input.schema } : {}),
      }),
    input,
  );
  if (!complete) await continueAsNew<typeof ingestPartitions>({ ...input, done });
  return done;
}

/** The ingest stage: one activity for a single file, the fan-out and a merge for a partitioned input. */
export async function ingestStage(input: IngestInput & { model: string; priority?: Priority }): Promise<DatasetRef> {
  const { priority, ...ingest } = input;
  const { ingestDataset, mergePartitions } = priority
    ? activitiesFor.withPriority(priority, 'ingestDataset', 'mergePartitions')
    : activitiesFor('ingestDataset', 'mergePartitions');
  const out = await ingestDataset({ ...ingest, fanOut: true });
  if (!isPartitioned(out)) return out;
  const info = workflowInfo();
  const partitions = await executeChild(ingestPartitions, {
    workflowId: `${info.workflowId}/partitions/${info.runId}`,
    ...(priority ? { priority } : {}),
    args: [
      { model: input.model, partitions: out.plan.partitions, schema: out.schema, ...(input.delimiter !== undefined ? { delimiter: input.delimiter } : {}) },
    ],
  });
  // Feedback rows go after the partitions, as a single file's go after its rows.
  return mergePartitions({
    model: input.model,
    sourceUri: out.plan.sourceUri,
    partitions,
    ...(input.feedback ? { feedback: input.feedback } : {}),
    ...(out.schema ? { schema: out.schema } : {}),
  });
}

function isPartitioned(x: DatasetRef | PartitionedIngest): x is PartitionedIngest {
  return 'plan' in x;
}

/** An ingest result from a caller that did not ask to fan out: always a whole dataset. */
export function wholeDataset(x: DatasetRef | PartitionedIngest): DatasetRef {
  if (isPartitioned(x)) throw new Error('ingestDataset returned a partition plan without fanOut');
  return x;
}
