// batchScore: scores a table with a deployed model. A table of at most partitionRows rows is one activity; a
// partitioned one (a partitioned dataset version, a directory, glob or s3:// prefix, or a bigger file) is
// scored by the scorePartitions child, one activity per partition over a sliding window, and merged into one
// content-addressed scores artifact. Input: ONE JSON object, {"model": "churn", "table": "s3://…/", …}.
import { continueAsNew, executeChild, workflowInfo } from '@temporalio/workflow';
import type { MergeScoresInput, PartitionedScores, PlanBatchScoreInput } from '../activities/batch-score';
import type { PartitionSource } from '../core/data/partitions';
import type { BatchScoreRequest, BatchScoreResult } from '../core/featurestore/batch-score';
import type { ScorePartitionResult } from '../core/featurestore/batch-score-partitions';
import { slidingWindow, type WindowOptions } from './sliding-window';
import { activitiesFor } from './stages';

const { planBatchScore, scoreTable, scorePartition, mergeScores } = activitiesFor('planBatchScore', 'scoreTable', 'scorePartition', 'mergeScores');

export type BatchScoreInput = PlanBatchScoreInput & WindowOptions;

export type BatchScoreOutput = (BatchScoreResult & { partitions?: undefined }) | PartitionedScores;

export async function batchScore(input: BatchScoreInput): Promise<BatchScoreOutput> {
  const { partitionRows, window, historyLimit, ...request } = input;
  if (request.table === undefined) return scoreTable(request);
  const plan = await planBatchScore({ ...request, ...(partitionRows !== undefined ? { partitionRows } : {}) });
  // The version is the plan's from here on: an alias moved meanwhile does not change what scores.
  const pinned: BatchScoreRequest = { ...request, version: plan.version };
  delete pinned.alias;
  if (!plan.partitions) return { ...(await scoreTable(pinned)), alias: plan.alias };
  const info = workflowInfo();
  const parts = await executeChild(scorePartitions, {
    workflowId: `${info.workflowId}/partitions/${info.runId}`,
    args: [{ request: pinned, version: plan.version, partitions: plan.partitions, window, historyLimit }],
  });
  const merge: MergeScoresInput = { plan, parts, ...(request.asOf !== undefined ? { asOf: request.asOf } : {}) };
  return mergeScores(merge);
}

export interface ScorePartitionsInput extends WindowOptions {
  request: BatchScoreRequest;
  version: number;
  partitions: PartitionSource[];
  /** Results carried over continue-as-new. */
  done?: ScorePartitionResult[];
}

export async function scorePartitions(input: ScorePartitionsInput): Promise<ScorePartitionResult[]> {
  const { done, complete } = await slidingWindow(
    input.partitions,
    input.done ?? [],
    (partition) => scorePartition({ request: input.request, version: input.version, partition }),
    input,
  );
  if (!complete) await continueAsNew<typeof scorePartitions>({ ...input, done });
  return done;
}
