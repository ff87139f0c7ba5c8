// training.external: the train stage in three steps — this side writes the splits, the user's trainer (ONE
// activity `train` on its own task queue, any language) fits and exports, this side checks, scores and
// registers. The workflow only decides: timeouts and retries come from the spec, every I/O is an activity.
import { ActivityFailure, ApplicationFailure, proxyActivities, TimeoutFailure } from '@temporalio/workflow';
import { EXTERNAL_TRAIN_ACTIVITY, type ExternalTrainInput } from '../core/ml/external';
import type { ExternalStageInput } from '../core/ml/external-train';
import type { TrainedModel } from '../core/ml/train';
import type { ExternalTrainerSpec } from '../core/spec';
import { FailureType } from './contracts';
import { activitiesFor } from './stages';

const { prepareExternalTraining, registerExternalModel } = activitiesFor('prepareExternalTraining', 'registerExternalModel');

type Trainer = Record<typeof EXTERNAL_TRAIN_ACTIVITY, (input: ExternalTrainInput) => Promise<unknown>>;

/** What a failed `train` activity means for the run, in the trainer's own words where it has any. */
export function trainerFailure(err: unknown, external: ExternalTrainerSpec): unknown {
  if (!(err instanceof ActivityFailure)) return err;
  const q = external.taskQueue;
  const cause = err.cause;
  if (cause instanceof TimeoutFailure && cause.timeoutType === 'SCHEDULE_TO_START') {
    return ApplicationFailure.create({
      type: FailureType.TrainerUnavailable,
      nonRetryable: true,
      message: `no trainer is polling task queue ${q}: nothing picked up the train task within ${external.scheduleTimeout} (start one, e.g. mlops trainer python --task-queue ${q})`,
    });
  }
  if (cause instanceof TimeoutFailure) {
    return ApplicationFailure.create({
      type: FailureType.TrainerTimedOut,
      nonRetryable: true,
      message: `the trainer on task queue ${q} timed out (${cause.timeoutType}) on its last attempt`,
    });
  }
  if (cause instanceof ApplicationFailure) {
    const type = cause.type ?? 'Error';
    return ApplicationFailure.create({ type, nonRetryable: true, message: `the trainer on task queue ${q} failed with ${type}: ${cause.message}` });
  }
  return err;
}

export async function trainExternally(input: ExternalStageInput, external: ExternalTrainerSpec): Promise<TrainedModel> {
  const plan = await prepareExternalTraining(input);
  const trainer = proxyActivities<Trainer>({
    taskQueue: external.taskQueue,
    scheduleToStartTimeout: external.scheduleTimeout,
    startToCloseTimeout: external.timeout,
    heartbeatTimeout: external.heartbeat,
    // A trainer that stops heartbeating (or dies) gets two more attempts; its own error types are its to declare non-retryable.
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 3 },
  });
  let result: unknown;
  try {
    result = await trainer[EXTERNAL_TRAIN_ACTIVITY](plan.input);
  } catch (err) {
    throw trainerFailure(err, external);
  }
  return registerExternalModel({ ...input, external: plan, result, taskQueue: external.taskQueue });
}
