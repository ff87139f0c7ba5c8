// materializeFeatures: brings feature sets up to date (incremental materialization: only source rows past
// each set version's watermark are read and written), for a Temporal Schedule, the UI or a script.
// Input: ONE JSON object, {"sets": [{"name": "customer_stats", "version": 2}]} (version optional: the latest),
// optionally "partitionRows". A set whose source is partitioned (a directory, glob or s3:// prefix, or a file
// above partitionRows) is materialized by the materializePartitions child, one activity per partition over a
// sliding window, then committed once.
import { continueAsNew, executeChild, patched, workflowInfo } from '@temporalio/workflow';
import type { PartitionedMaterializeResult } from '../activities/materialize-partitions';
import type { PartitionSource } from '../core/data/partitions';
import type { MaterializeResult } from '../core/featurestore/materialize';
import type { MaterializedPartition, MaterializePlan } from '../core/featurestore/materialize-partitions';
import { slidingWindow, type WindowOptions } from './sliding-window';
import { activitiesFor } from './stages';

const { materializeFeatureSets, planMaterialization, materializePartition, commitMaterialization } = activitiesFor(
  'materializeFeatureSets',
  'planMaterialization',
  'materializePartition',
  'commitMaterialization',
);

export interface MaterializeFeaturesInput extends WindowOptions {
  sets: { name: string; version?: number }[];
  partitionRows?: number;
}

export async function materializeFeatures(input: MaterializeFeaturesInput): Promise<{ sets: (MaterializeResult | PartitionedMaterializeResult)[] }> {
  if (!patched('partitioned-materialize')) return { sets: await materializeFeatureSets({ sets: input?.sets }) };
  // An empty or malformed list gets the activity's own message.
  if (!Array.isArray(input?.sets) || input.sets.length === 0) return { sets: await materializeFeatureSets({ sets: input?.sets }) };
  const out: (MaterializeResult | PartitionedMaterializeResult)[] = [];
  for (const [k, set] of input.sets.entries()) {
    const plan = await planMaterialization({ set, ...(input.partitionRows !== undefined ? { partitionRows: input.partitionRows } : {}) });
    if (!plan.partitions) {
      out.push(...(await materializeFeatureSets({ sets: [{ name: plan.name, version: plan.version }] })));
      continue;
    }
    const info = workflowInfo();
    const parts = await executeChild(materializePartitions, {
      workflowId: `${info.workflowId}/partitions/${k}/${info.runId}`,
      args: [{ plan, partitions: plan.partitions, window: input.window, historyLimit: input.historyLimit }],
    });
    out.push(await commitMaterialization({ plan, parts }));
  }
  return { sets: out };
}

export interface MaterializePartitionsInput extends WindowOptions {
  plan: MaterializePlan;
  partitions: PartitionSource[];
  /** Results carried over continue-as-new. */
  done?: MaterializedPartition[];
}

export async function materializePartitions(input: MaterializePartitionsInput): Promise<MaterializedPartition[]> {
  const plan = { name: input.plan.name, version: input.plan.version, fromUs: input.plan.fromUs };
  const { done, complete } = await slidingWindow(input.partitions, input.done ?? [], (partition) => materializePartition({ plan, partition }), input);
  if (!complete) await continueAsNew<typeof materializePartitions>({ ...input, done });
  return done;
}
