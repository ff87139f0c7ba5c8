// Every activity's options (timeouts, retries), defined once, and the one way workflows proxy activities:
// `activitiesFor('checkDrift', …)` gives a workflow exactly the activities it uses, each with its own options.
// Invalid spec, invalid data and failed validation are non-retryable; outages (storage, database) are retried
// with backoff.
import type { Priority } from '@temporalio/common';
import { proxyActivities, type ActivityInterfaceFor, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { ALERT_ATTEMPTS } from '../core/alerts/webhooks';
import { NON_RETRYABLE } from './contracts';

const retry = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10, nonRetryableErrorTypes: NON_RETRYABLE };

const quick: ActivityOptions = { startToCloseTimeout: '1 minute', retry };
// Data stages scan whole datasets: long, so they heartbeat and a lost worker is noticed within a minute.
export const DATA_ACTIVITY_OPTIONS: ActivityOptions = { startToCloseTimeout: '1 hour', heartbeatTimeout: '1 minute', retry };
const training: ActivityOptions = { startToCloseTimeout: '6 hours', heartbeatTimeout: '1 minute', retry };

// Deploys and rollouts wait up to a minute for the model server (activities/deploy.ts SERVE_WAIT_MS): the timeout
// leaves that wait room to fail with its own message, and heartbeats notice a lost worker sooner.
export const SERVING_ACTIVITY_OPTIONS: ActivityOptions = { startToCloseTimeout: '3 minutes', heartbeatTimeout: '30 seconds', retry };

// Bundles for edge and browser targets: written, stored and measured (Chromium included) in well under the timeout.
const targets: ActivityOptions = { startToCloseTimeout: '10 minutes', heartbeatTimeout: '1 minute', retry: { ...retry, maximumAttempts: 3 } };

// Level 2 builds, tests and replays a whole checkout; a failed attempt is retried a few times only.
const cicdRetry = { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 3 };
const cicdLong: ActivityOptions = { startToCloseTimeout: '45 minutes', heartbeatTimeout: '2 minutes', retry: cicdRetry };
const cicdQuick: ActivityOptions = { startToCloseTimeout: '2 minutes', retry: cicdRetry };

// An alert is retried ALERT_ATTEMPTS times; a webhook that stays down is logged and never fails the run.
const alerts: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: ALERT_ATTEMPTS },
};

// A partition is small and quick next to a stage: a lost worker is noticed within 30 s.
export const PARTITION_ACTIVITY_OPTIONS: ActivityOptions = { ...DATA_ACTIVITY_OPTIONS, heartbeatTimeout: '30 seconds' };

type ActivityName = keyof Activities;

const OPTIONS: Record<ActivityName, ActivityOptions> = {
  ingestDataset: DATA_ACTIVITY_OPTIONS,
  materializeFeatureSets: DATA_ACTIVITY_OPTIONS,
  ingestTrainingSet: DATA_ACTIVITY_OPTIONS,
  validateData: DATA_ACTIVITY_OPTIONS,
  governData: DATA_ACTIVITY_OPTIONS,
  buildFeatures: DATA_ACTIVITY_OPTIONS,
  selectFeatures: DATA_ACTIVITY_OPTIONS,
  evaluateModel: DATA_ACTIVITY_OPTIONS,
  prepareExternalTraining: DATA_ACTIVITY_OPTIONS,
  trainModel: training,
  registerExternalModel: training,
  deployModel: SERVING_ACTIVITY_OPTIONS,
  deployToTargets: targets,
  startRollout: SERVING_ACTIVITY_OPTIONS,
  finishRollout: SERVING_ACTIVITY_OPTIONS,
  productionInfo: quick,
  sameAsProduction: quick,
  requestTraining: quick,
  ensureMonitor: quick,
  checkDrift: quick,
  startAbTest: quick,
  checkRollout: quick,
  buildPipeline: cicdLong,
  testPipeline: cicdLong,
  replayPipeline: cicdLong,
  integrationRunPipeline: cicdLong,
  promotePipeline: cicdLong,
  rejectPipeline: cicdQuick,
  retrainProduction: cicdQuick,
  pipelineVersion: cicdQuick,
  deliverAlert: alerts,
  ingestPartition: PARTITION_ACTIVITY_OPTIONS,
  mergePartitions: DATA_ACTIVITY_OPTIONS,
  planBatchScore: DATA_ACTIVITY_OPTIONS,
  scoreTable: DATA_ACTIVITY_OPTIONS,
  scorePartition: PARTITION_ACTIVITY_OPTIONS,
  mergeScores: DATA_ACTIVITY_OPTIONS,
  planMaterialization: DATA_ACTIVITY_OPTIONS,
  materializePartition: PARTITION_ACTIVITY_OPTIONS,
  commitMaterialization: DATA_ACTIVITY_OPTIONS,
  summarizeDriftPartition: PARTITION_ACTIVITY_OPTIONS,
  mergeDrift: DATA_ACTIVITY_OPTIONS,
};

/** The named activities, each proxied with its options from the table above. */
export function activitiesFor<K extends ActivityName>(...names: K[]): ActivityInterfaceFor<Pick<Activities, K>> {
  const out = {} as ActivityInterfaceFor<Pick<Activities, K>>;
  for (const name of names) out[name] = proxyActivities<Pick<Activities, K>>(OPTIONS[name])[name];
  return out;
}

/** The same, with a task priority and fairness key (core/priority.ts) on every call. */
activitiesFor.withPriority = function withPriority<K extends ActivityName>(priority: Priority, ...names: K[]): ActivityInterfaceFor<Pick<Activities, K>> {
  const out = {} as ActivityInterfaceFor<Pick<Activities, K>>;
  for (const name of names) out[name] = proxyActivities<Pick<Activities, K>>({ ...OPTIONS[name], priority })[name];
  return out;
};
