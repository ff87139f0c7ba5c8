// A drift check over partitioned data (`mlops drift` when either side is partitioned): one summary activity per
// partition over the shared sliding window, continue-as-new before the history grows large, then one merge
// activity that runs the tests on the merged summaries.
import { continueAsNew } from '@temporalio/workflow';
import type { PartitionedDriftResult } from '../activities/drift-partitions';
import type { DriftPartitionSummary } from '../core/stats/drift-partitions';
import type { PartitionedDriftInput } from './contracts';
import { slidingWindow } from './sliding-window';
import { activitiesFor } from './stages';

const { summarizeDriftPartition, mergeDrift } = activitiesFor('summarizeDriftPartition', 'mergeDrift');

export async function partitionedDrift(input: PartitionedDriftInput & { done?: DriftPartitionSummary[] }): Promise<PartitionedDriftResult> {
  const { done, complete } = await slidingWindow(
    input.partitions,
    input.done ?? [],
    (partition) => summarizeDriftPartition({ partition, ...(input.delimiter !== undefined ? { delimiter: input.delimiter } : {}) }),
    input,
  );
  if (!complete) await continueAsNew<typeof partitionedDrift>({ ...input, done });
  return mergeDrift({
    referenceUri: input.referenceUri,
    currentUri: input.currentUri,
    partitions: done,
    options: input.options,
  });
}
