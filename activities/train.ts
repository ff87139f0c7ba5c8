// The train stage as an activity: core/ml/train plus heartbeats and lineage (dataset, plan → model).
import { trainStage, type CheckpointHooks, type TrainCheckpoint, type TrainedModel, type TrainInput } from '../core/ml/train';
import type { ArtifactStore } from '../core/store/artifacts';
import type { LineageStore } from '../core/store/lineage';
import type { ModelRegistry } from '../core/store/registry';
import { Context } from '@temporalio/activity';
import type pg from 'pg';
import { loggedFeatures } from '../core/monitor/logged';
import { runStage } from './stage';

/**
 * Checkpoints go to the artifact store (content-addressed) and their reference into the heartbeat, so a
 * retried attempt — on this worker or another — finds the last one in `heartbeatDetails` and resumes.
 */
function checkpointHooks(artifacts: ArtifactStore, note: (details: Record<string, unknown>) => void): CheckpointHooks {
  const ctx = Context.current();
  return {
    load: async () => {
      const ref = (ctx.info.heartbeatDetails as { checkpoint?: { uri: string; sha256: string } } | undefined)?.checkpoint;
      if (!ref) return undefined;
      const text = (await artifacts.getBuffer(artifacts.keyOf(ref.uri), ref.sha256)).toString('utf8');
      ctx.log.info(`resuming training from checkpoint ${ref.uri}`);
      return JSON.parse(text) as TrainCheckpoint;
    },
    save: async (c) => {
      const ref = await artifacts.putContent('checkpoints/train', '.json', JSON.stringify(c), 'application/json');
      note({ checkpoint: { uri: ref.uri, sha256: ref.sha256 } });
    },
  };
}

export function makeTrain(deps: { artifacts: ArtifactStore; lineage: LineageStore; registry: ModelRegistry; pool: pg.Pool }) {
  return async function trainModel(input: Omit<TrainInput, 'runKey'>): Promise<TrainedModel> {
    const wf = Context.current().info.workflowExecution;
    const runKey = wf ? `${wf.workflowId}/${wf.runId}` : `activity/${Context.current().info.activityId}`;
    return runStage(deps.lineage, 'train', input.model, async (progress, note) => {
      const model = await trainStage({ ...input, runKey }, {
        artifacts: deps.artifacts, registry: deps.registry, onProgress: progress, checkpoint: checkpointHooks(deps.artifacts, note),
        loggedRows: (model, windowSeconds) => loggedFeatures(deps.pool, model, windowSeconds),
      });
      return {
        result: model,
        // Experiment tracking: what `mlops runs list|compare` shows.
        params: {
          version: model.version, algorithm: model.algorithm, params: model.params, trials: model.trials, metrics: model.metrics,
          primaryMetric: model.primaryMetric, threshold: model.threshold, datasetSha256: input.dataset.sha256, seed: input.spec.training.seed,
          selected: input.selected, sizeBytes: model.sizeBytes, trainingMs: model.trainingMs, latency: model.latency,
        },
        inputs: [
          { uri: input.dataset.uri, sha256: input.dataset.sha256, type: 'Dataset' },
          { uri: input.planRef.uri, sha256: input.planRef.sha256, type: 'FeaturePlan' },
        ],
        outputs: [{ uri: model.uri, sha256: model.sha256, type: 'Model', properties: { name: model.name, version: model.version } }],
      };
    });
  };
}
