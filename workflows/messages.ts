// Signals, queries and updates of the pipeline workflows, defined once; clients reuse these definitions.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { TrainingRequest } from '../activities/control';
import type { StatusView } from './run';
import type { Stage } from './stages';

export const retrainSignal = defineSignal<[TrainingRequest]>('retrain');
export const statusQuery = defineQuery<StatusView>('status');

export interface AdvanceInput {
  stage?: Stage;
  /** false rejects the waiting stage and ends the run. Default true. */
  approve?: boolean;
  reason?: string;
}
export interface AdvanceResult {
  stage: Stage;
  approved: boolean;
}
export const advanceUpdate = defineUpdate<AdvanceResult, [AdvanceInput]>('advance');

/** The one workflow that trains a model at level 1; every trigger signals it with signal-with-start. */
export function ctWorkflowId(model: string): string {
  return `ct-${model}`;
}
