// Batch scoring as activities, for the batchScore workflow: the plan (version fixed, partitions listed), one
// pass over a small table, one activity per partition, and the merge. Lineage: every partition's scores are a
// ScoresPartition artifact; the merge links them all to the Predictions artifact.
import { batchScore, type BatchScoreRequest, type BatchScoreResult } from '../core/featurestore/batch-score';
import { mergeScores, planBatchScore, scorePartition, type ScorePartitionResult, type ScorePlan } from '../core/featurestore/batch-score-partitions';
import type { PartitionSource } from '../core/data/partitions';
import type { Stores } from '../core/store';
import { runStage } from './stage';

export interface PlanBatchScoreInput extends BatchScoreRequest {
  /** Rows above which a single file is split (default: data.partitionRows' default). */
  partitionRows?: number;
}

export interface ScorePartitionInput {
  request: BatchScoreRequest;
  version: number;
  partition: PartitionSource;
}

export interface MergeScoresInput {
  plan: ScorePlan;
  asOf?: string;
  parts: ScorePartitionResult[];
}

export type PartitionedScores = Omit<BatchScoreResult, 'ms'> & { partitions: number };

export function makeBatchScore(stores: Stores) {
  return {
    async planBatchScore(input: PlanBatchScoreInput): Promise<ScorePlan> {
      return runStage(stores.lineage, 'batch-score-plan', input.model, async (progress) => {
        progress(`planning ${input.table ?? 'the feature sets'}`);
        const plan = await planBatchScore(stores, input);
        return { result: plan, params: { table: plan.table, version: plan.version, partitions: plan.partitions?.length ?? 0 } };
      });
    },

    /** A table of at most partitionRows rows (or the sets' entities) in one pass: core batchScore, with its own lineage. */
    async scoreTable(input: BatchScoreRequest): Promise<BatchScoreResult> {
      return runStage(stores.lineage, 'batch-score', input.model, async (progress) => {
        const r = await batchScore(stores, input, { onProgress: progress });
        return { result: r, params: { version: r.version, rows: r.rows, scores: r.ref.uri } };
      });
    },

    async scorePartition(input: ScorePartitionInput): Promise<ScorePartitionResult> {
      const p = input.partition;
      return runStage(
        stores.lineage,
        'batch-score-partition',
        input.request.model,
        async (progress) => {
          const r = await scorePartition(stores, input, { onProgress: progress });
          return {
            result: r,
            params: { index: p.index, source: p.uri, range: p.rows ?? null, version: input.version, rows: r.rows },
            inputs: [{ uri: p.uri, sha256: r.sourceSha256, type: 'DataSource' }],
            outputs: [{ uri: r.ref.uri, sha256: r.ref.sha256, type: 'ScoresPartition', properties: { index: p.index, rows: r.rows, range: p.rows ?? null } }],
          };
        },
        { part: String(p.index) },
      );
    },

    async mergeScores(input: MergeScoresInput): Promise<PartitionedScores> {
      return runStage(stores.lineage, 'batch-score', input.plan.model, async (progress) => {
        const r = await mergeScores(stores, input, { onProgress: progress });
        const mv = await stores.registry.getVersion(r.model, r.version);
        return {
          result: r,
          params: { model: r.model, version: r.version, alias: r.alias, rows: r.rows, partitions: r.partitions, table: r.table, asOf: r.asOf, sets: r.sets },
          inputs: [
            ...(mv ? [{ uri: mv.uri, sha256: mv.sha256, type: 'Model' }] : []),
            ...input.parts.map((p) => ({ uri: p.ref.uri, sha256: p.ref.sha256, type: 'ScoresPartition', properties: { index: p.index } })),
          ],
          outputs: [
            {
              uri: r.ref.uri,
              sha256: r.ref.sha256,
              type: 'Predictions',
              properties: { model: r.model, version: r.version, rows: r.rows, partitions: r.partitions },
            },
          ],
        };
      });
    },
  };
}
