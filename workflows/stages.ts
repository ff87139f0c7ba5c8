// The stage list and every stage's activity options, defined once. Invalid spec, invalid data and failed
// validation are non-retryable; outages (storage, database) are retried with backoff.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities';

export const STAGES = ['ingest', 'validate', 'govern', 'features', 'select', 'train', 'evaluate', 'deploy'] as const;
export type Stage = (typeof STAGES)[number];

export const NON_RETRYABLE = ['InvalidSpec', 'InvalidData', 'ValidationFailed', 'AliasConflict'];

const retry = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10, nonRetryableErrorTypes: NON_RETRYABLE };

const quick: ActivityOptions = { startToCloseTimeout: '1 minute', retry };
// Data stages scan whole datasets: long, so they heartbeat and a lost worker is noticed within a minute.
export const DATA_ACTIVITY_OPTIONS: ActivityOptions = { startToCloseTimeout: '1 hour', heartbeatTimeout: '1 minute', retry };
const training: ActivityOptions = { startToCloseTimeout: '6 hours', heartbeatTimeout: '1 minute', retry };

// Deploys and rollouts wait up to a minute for the model server (activities/deploy.ts SERVE_WAIT_MS): the timeout
// leaves that wait room to fail with its own message, and heartbeats notice a lost worker sooner.
export const SERVING_ACTIVITY_OPTIONS: ActivityOptions = { startToCloseTimeout: '3 minutes', heartbeatTimeout: '30 seconds', retry };

export const dataActivities = proxyActivities<Activities>(DATA_ACTIVITY_OPTIONS);
export const servingActivities = proxyActivities<Activities>(SERVING_ACTIVITY_OPTIONS);
export const trainingActivities = proxyActivities<Activities>(training);
export const controlActivities = proxyActivities<Activities>(quick);

export const MlopsModel = defineSearchAttributeKey('MlopsModel', SearchAttributeType.KEYWORD);
export const MlopsLevel = defineSearchAttributeKey('MlopsLevel', SearchAttributeType.INT);
export const MlopsTrigger = defineSearchAttributeKey('MlopsTrigger', SearchAttributeType.KEYWORD);
