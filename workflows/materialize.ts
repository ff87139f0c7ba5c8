// materializeFeatures: brings feature sets up to date (incremental materialization: only source rows past
// each set version's watermark are read and written), for a Temporal Schedule, the UI or a script.
// Input: ONE JSON object, {"sets": [{"name": "customer_stats", "version": 2}]} (version optional: the latest),
// optionally "partitionRows". A set whose source is partitioned (a directory, glob or s3:// prefix, or a file
// above partitionRows) is materialized by the materializePartitions child, one activity per partition over a
// sliding window, then committed once. A pipeline run's features.sets go the same way (materializeRunSets).
import type { Priority } from '@temporalio/common';
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
    out.push(await materializePlanned(plan, plan.partitions, { childId: `partitions/${k}`, window: input.window, historyLimit: input.historyLimit }));
  }
  return { sets: out };
}

interface PlannedOptions extends WindowOptions {
  /** The fan-out child's id is `<this workflow's id>/<childId>/<this run's id>`: deterministic, unique per run. */
  childId: string;
  /** A pipeline run's model (the commit's lineage joins the model's) and priority (the child's and the commit's). */
  model?: string;
  priority?: Priority;
}

/** A planned partitioned set: one materializePartition activity per partition (the child workflow), then one commit. */
async function materializePlanned(plan: MaterializePlan, partitions: PartitionSource[], opts: PlannedOptions): Promise<PartitionedMaterializeResult> {
  const commit = opts.priority ? activitiesFor.withPriority(opts.priority, 'commitMaterialization').commitMaterialization : commitMaterialization;
  const info = workflowInfo();
  const parts = await executeChild(materializePartitions, {
    workflowId: `${info.workflowId}/${opts.childId}/${info.runId}`,
    ...(opts.priority ? { priority: opts.priority } : {}),
    args: [{ plan, partitions, window: opts.window, historyLimit: opts.historyLimit }],
  });
  return commit({ plan, parts, ...(opts.model !== undefined ? { model: opts.model } : {}) });
}

export interface RunSetsOptions {
  model: string;
  priority: Priority;
  /** The spec's data.partitionRows: a set's source file above it is split like the run's own data. */
  partitionRows?: number;
}

/**
 * A pipeline run's features.sets, in the spec's order: every set planned; the unpartitioned ones materialized
 * in one activity, as runs did before partitioned sources; each partitioned one fanned out and committed.
 */
export async function materializeRunSets(
  sets: { name: string; version?: number }[],
  opts: RunSetsOptions,
): Promise<(MaterializeResult | PartitionedMaterializeResult)[]> {
  const { model, priority } = opts;
  const acts = activitiesFor.withPriority(priority, 'planMaterialization', 'materializeFeatureSets');
  const plans = await Promise.all(
    sets.map((set) => acts.planMaterialization({ set, model, ...(opts.partitionRows !== undefined ? { partitionRows: opts.partitionRows } : {}) })),
  );
  const whole = plans.filter((p) => !p.partitions);
  const [single, ...parted] = await Promise.all([
    whole.length > 0 ? acts.materializeFeatureSets({ model, sets: whole.map((p) => ({ name: p.name, version: p.version })) }) : Promise.resolve([]),
    ...plans.map((p, k) => (p.partitions ? materializePlanned(p, p.partitions, { childId: `materialize/${k}`, model, priority }) : Promise.resolve(null))),
  ]);
  let next = 0;
  return plans.map((_, k) => parted[k] ?? single[next++]!);
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
