// Partitioned materialization as activities: the plan (watermark read, partitions listed), one activity per
// partition (its feature rows as an artifact, lineage per partition), and the commit (one part, the
// watermark and the online rows in one transaction; a retried commit writes nothing twice).
import type { Client } from 'minio';
import type pg from 'pg';
import type { PartitionSource } from '../core/data/partitions';
import type { MaterializeResult } from '../core/featurestore';
import {
  commitMaterialization,
  materializePartition,
  planMaterialization,
  type MaterializedPartition,
  type MaterializePlan,
} from '../core/featurestore/materialize-partitions';
import type { ArtifactStore } from '../core/store/artifacts';
import type { LineageStore } from '../core/store/lineage';
import { runStage } from './stage';

export interface PlanMaterializationInput {
  set: { name: string; version?: number };
  /** Rows above which a single source file is split (default: data.partitionRows' default). */
  partitionRows?: number;
  /** The pipeline run's model, when a pipeline asks (links the stage run to the model). */
  model?: string;
}

export interface MaterializePartitionInput {
  plan: Pick<MaterializePlan, 'name' | 'version' | 'fromUs'>;
  partition: PartitionSource;
}

export interface CommitMaterializationInput {
  plan: MaterializePlan;
  parts: MaterializedPartition[];
  /** The pipeline run's model, when a pipeline asks (links the stage run to the model). */
  model?: string;
}

export type PartitionedMaterializeResult = MaterializeResult & { partitions: number; alreadyCommitted: boolean };

/** A set version within a run's lineage keys: a run (or a materializeFeatures) with several sets plans and commits each. */
const setKey = (set: { name: string; version?: number } | undefined): string => `${set?.name}@${set?.version ?? 'latest'}`;

export function makeMaterializePartitions(deps: { artifacts: ArtifactStore; lineage: LineageStore; s3: Client; pool: pg.Pool }) {
  return {
    async planMaterialization(input: PlanMaterializationInput): Promise<MaterializePlan> {
      // One plan per set in a run: the set keeps their lineage rows apart.
      return runStage(
        deps.lineage,
        'materialize-plan',
        input?.model ?? '',
        async (progress) => {
          progress(`planning ${input.set.name}`);
          const plan = await planMaterialization(deps, input.set, input);
          return { result: plan, params: { name: plan.name, version: plan.version, from: plan.fromWatermark, partitions: plan.partitions?.length ?? 0 } };
        },
        { part: setKey(input.set) },
      );
    },

    async materializePartition(input: MaterializePartitionInput): Promise<MaterializedPartition> {
      const p = input.partition;
      return runStage(
        deps.lineage,
        'materialize-partition',
        '',
        async (progress) => {
          const r = await materializePartition(deps, input, { onProgress: progress });
          return {
            result: r,
            params: { name: input.plan.name, version: input.plan.version, index: p.index, source: p.uri, range: p.rows ?? null, rows: r.count },
            inputs: [{ uri: p.uri, sha256: r.sourceSha256, type: 'DataSource' }],
            outputs: r.rows ? [{ uri: r.rows.uri, sha256: r.rows.sha256, type: 'FeatureSetPartition', properties: { index: p.index, rows: r.count } }] : [],
          };
        },
        { part: String(p.index) },
      );
    },

    async commitMaterialization(input: CommitMaterializationInput): Promise<PartitionedMaterializeResult> {
      return runStage(
        deps.lineage,
        'materialize',
        input.model ?? '',
        async (progress) => {
          const r = await commitMaterialization(deps, input, { onProgress: progress });
          return {
            result: r,
            params: { name: r.name, version: r.version, rows: r.rows, watermark: r.watermark, partitions: r.partitions, alreadyCommitted: r.alreadyCommitted },
            outputs: r.part ? [{ uri: r.part.uri, sha256: r.part.sha256, type: 'FeatureSetPart' }] : [],
          };
        },
        { part: setKey(input.plan) },
      );
    },
  };
}
