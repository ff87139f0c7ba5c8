// The train stage as an activity: core/ml/train in a worker thread (so this thread keeps heartbeating and its
// sockets stay healthy), plus heartbeats and lineage (dataset, plan → model).
import { trainStage, type TrainedModel, type TrainInput } from '../core/ml/train';
import { artifactCheckpoints, trainInThread, trainThreadScript, type CheckpointRef, type TrainEvents } from '../core/ml/train-thread';
import type { Stores } from '../core/store';
import { Context } from '@temporalio/activity';
import { loggedFeatures } from '../core/monitor/logged';
import { runStage } from './stage';

type TrainDeps = Pick<Stores, 'artifacts' | 'lineage' | 'registry' | 'pool' | 'config' | 'schema'>;

export function makeTrain(deps: TrainDeps) {
  return async function trainModel(input: Omit<TrainInput, 'runKey'>): Promise<TrainedModel> {
    const ctx = Context.current();
    const wf = ctx.info.workflowExecution;
    const runKey = wf ? `${wf.workflowId}/${wf.runId}` : `activity/${ctx.info.activityId}`;
    // The last checkpoint a previous attempt put in its heartbeat.
    const resumeFrom = (ctx.info.heartbeatDetails as { checkpoint?: CheckpointRef } | undefined)?.checkpoint;
    if (resumeFrom) ctx.log.info(`resuming training from checkpoint ${resumeFrom.uri}`);
    return runStage(deps.lineage, 'train', input.model, async (progress, note) => {
      const events: TrainEvents = { progress, note, signal: ctx.cancellationSignal };
      const script = trainThreadScript();
      if (!script) ctx.log.warn('no compiled training thread (run the build): training on the activity thread');
      const model = script
        ? await trainInThread(
            script,
            { input: { ...input, runKey }, stores: { config: deps.config, schema: deps.schema }, ...(resumeFrom ? { resumeFrom } : {}) },
            events,
          )
        : await trainStage(
            { ...input, runKey },
            {
              artifacts: deps.artifacts,
              registry: deps.registry,
              onProgress: progress,
              onStatus: (status) => note({ status }),
              checkpoint: artifactCheckpoints(deps.artifacts, resumeFrom, note),
              loggedRows: (model, windowSeconds) => loggedFeatures(deps.pool, model, windowSeconds),
            },
          );
      return {
        result: model,
        // Experiment tracking: what `mlops runs list|compare` shows.
        params: {
          version: model.version,
          algorithm: model.algorithm,
          params: model.params,
          trials: model.trials,
          metrics: model.metrics,
          primaryMetric: model.primaryMetric,
          threshold: model.threshold,
          datasetSha256: input.dataset.sha256,
          seed: input.spec.training.seed,
          selected: input.selected,
          sizeBytes: model.sizeBytes,
          trainingMs: model.trainingMs,
          latency: model.latency,
          refit: model.refit,
          timingsMs: model.timingsMs,
          ...(model.sample ? { sample: model.sample } : {}),
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
