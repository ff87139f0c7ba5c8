// What every stage activity shares: heartbeats while the work runs, one lineage execution per stage run
// (keyed by workflow id, run id and stage, so a retried attempt finds its own row), and the mapping of
// invalid input to non-retryable failures.
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { ArtifactInput, ContextType, LineageStore } from '../core/store/lineage';
import { DataError } from '../core/data/source';
import { GovernanceError } from '../core/features/plan';
import { FeatureSpecError } from '../core/features/spec';
import { TrainingDataError } from '../core/ml/training-data';
import { SpecError } from '../core/spec';
import { codeVersion } from '../core/version';

/** Failure types a workflow (and `mlops run`) treats as invalid input rather than an outage. */
export const INVALID_INPUT_TYPES = ['InvalidSpec', 'InvalidData', 'ValidationFailed'] as const;

export interface StageOutcome<T> {
  result: T;
  inputs?: ArtifactInput[];
  outputs?: ArtifactInput[];
  params?: Record<string, unknown>;
}

export async function runStage<T>(
  lineage: LineageStore,
  stage: string,
  model: string,
  work: (progress: (message: string) => void) => Promise<StageOutcome<T>>,
): Promise<T> {
  const ctx = Context.current();
  const wf = ctx.info.workflowExecution;
  const run = wf ? `${wf.workflowId}/${wf.runId}` : `activity/${ctx.info.activityId}`;
  const key = `${run}/${stage}`;
  const contexts: { type: ContextType; name: string }[] = [
    { type: 'pipeline_run', name: run },
    { type: 'model', name: model },
  ];
  let last = 'started';
  const progress = (message: string): void => {
    last = message;
    ctx.heartbeat({ stage, message });
    ctx.log.info(`${stage}: ${message}`);
  };
  // A long DuckDB call reports nothing for a while: keep the heartbeat going with the last message.
  const timer = setInterval(() => ctx.heartbeat({ stage, message: last }), 5_000);
  try {
    const out = await work(progress);
    await lineage.recordStage({ key, stage, codeVersion: codeVersion(), contexts, params: out.params, inputs: out.inputs, outputs: out.outputs });
    return out.result;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const type = err instanceof DataError ? 'InvalidData' : err instanceof GovernanceError || err instanceof FeatureSpecError || err instanceof SpecError || err instanceof TrainingDataError ? 'InvalidSpec' : undefined;
    if (type) {
      await lineage.recordStage({ key, stage, codeVersion: codeVersion(), contexts, status: 'failed', error: message }).catch(() => undefined);
      throw ApplicationFailure.create({ type, message, nonRetryable: true });
    }
    throw err;
  } finally {
    clearInterval(timer);
  }
}
