// The train stage as an activity: core/ml/train in a worker thread (so this thread keeps heartbeating and its
// sockets stay healthy), plus heartbeats and lineage (dataset, plan → model).
import { trainStage, type TrainedModel, type TrainInput } from '../core/ml/train';
import { artifactCheckpoints, trainInThread, trainThreadScript, type CheckpointRef, type TrainEvents } from '../core/ml/train-thread';
import type { Stores } from '../core/store';
import { Context } from '@temporalio/activity';
import { loggedFeatures } from '../core/monitor/logged';
import { runKey, runStage } from './stage';
import { trainedModelOutcome } from './trained-model';

type TrainDeps = Pick<Stores, 'artifacts' | 'lineage' | 'registry' | 'pool' | 'config' | 'schema'>;

export function makeTrain(deps: TrainDeps) {
  return async function trainModel(input: Omit<TrainInput, 'runKey'>): Promise<TrainedModel> {
    const ctx = Context.current();
    const key = runKey();
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
            { input: { ...input, runKey: key }, stores: { config: deps.config, schema: deps.schema }, ...(resumeFrom ? { resumeFrom } : {}) },
            events,
          )
        : await trainStage(
            { ...input, runKey: key },
            {
              artifacts: deps.artifacts,
              registry: deps.registry,
              onProgress: progress,
              onStatus: (status) => note({ status }),
              checkpoint: artifactCheckpoints(deps.artifacts, resumeFrom, note),
              loggedRows: (model, windowSeconds) => loggedFeatures(deps.pool, model, windowSeconds),
            },
          );
      const { trials, trainingMs, refit, timingsMs } = model;
      return trainedModelOutcome(input, model, { params: { trials, trainingMs, refit, timingsMs } });
    });
  };
}
