// What every stage activity shares: heartbeats while the work runs, one lineage execution per stage run
// (keyed by workflow id, run id and stage, so a retried attempt finds its own row), and the mapping of
// invalid input (core/errors.ts InvalidInput) to non-retryable failures.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { invalidInputKind } from '../core/invalid-input';
import type { ArtifactInput, ContextType, LineageStore } from '../core/store/lineage';
import { codeVersion } from '../core/version';
import { INTERNAL_ERROR_ATTEMPTS, INTERNAL_ERROR_TYPE, internalMessage, INVALID_INPUT_FAILURE, isBug } from './failures';
import { watchStageMemory } from './stage-memory';

export interface StageOutcome<T> {
  result: T;
  inputs?: ArtifactInput[];
  outputs?: ArtifactInput[];
  params?: Record<string, unknown>;
}

/** The run this activity works for (workflow id / run id): the idempotency key of what it writes. */
export function runKey(): string {
  const info = Context.current().info;
  const wf = info.workflowExecution;
  return wf ? `${wf.workflowId}/${wf.runId}` : `activity/${info.activityId}`;
}

export async function runStage<T>(
  lineage: LineageStore,
  stage: string,
  model: string,
  work: (progress: (message: string) => void, note: (details: Record<string, unknown>) => void) => Promise<StageOutcome<T>>,
  opts: { part?: string } = {},
): Promise<T> {
  const ctx = Context.current();
  const run = runKey();
  // One stage may run as many activities (a partition each): `part` keeps their lineage rows apart.
  const key = `${run}/${stage}${opts.part !== undefined ? `/${opts.part}` : ''}`;
  // A stage run outside any model's pipeline (materializeFeatures) has no model context.
  const contexts: { type: ContextType; name: string }[] = [{ type: 'pipeline_run', name: run }, ...(model ? [{ type: 'model' as const, name: model }] : [])];
  // Every heartbeat carries all details so far (a checkpoint reference survives later progress messages).
  let details: Record<string, unknown> = { stage, message: 'started' };
  const progress = (message: string): void => {
    details = { ...details, message };
    ctx.heartbeat(details);
    ctx.log.info(`${stage}: ${message}`);
  };
  const note = (extra: Record<string, unknown>): void => {
    details = { ...details, ...extra };
    ctx.heartbeat(details);
  };
  // A long DuckDB call or a training thread reports nothing for a while: keep the heartbeat going (the SDK
  // throttles what reaches the server; a beat here also shows the event loop is free).
  const timer = setInterval(() => ctx.heartbeat(details), 1_000);
  // The longest stall of this worker's event loop while the stage ran (every stage should stay well under 100 ms).
  const stalls = monitorEventLoopDelay({ resolution: 10 });
  stalls.enable();
  const memory = watchStageMemory();
  try {
    const out = await work(progress, note);
    const peakRssMb = memory.stop();
    ctx.log.info(`${stage}: peak RSS ${peakRssMb} MB`);
    await lineage.recordStage({
      key,
      stage,
      codeVersion: codeVersion(),
      contexts,
      params: { ...out.params, peakRssMb },
      inputs: out.inputs,
      outputs: out.outputs,
    });
    return out.result;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const kind = invalidInputKind(err);
    const type = kind ? INVALID_INPUT_FAILURE[kind] : undefined;
    if (type) {
      await lineage.recordStage({ key, stage, codeVersion: codeVersion(), contexts, status: 'failed', error: message }).catch(() => undefined);
      throw ApplicationFailure.create({ type, message, nonRetryable: true });
    }
    if (isBug(err)) {
      const last = ctx.info.attempt >= INTERNAL_ERROR_ATTEMPTS;
      if (last) await lineage.recordStage({ key, stage, codeVersion: codeVersion(), contexts, status: 'failed', error: message }).catch(() => undefined);
      ctx.log.error(`${stage}: ${(err as Error).stack ?? message}`);
      throw ApplicationFailure.create({ type: INTERNAL_ERROR_TYPE, message: internalMessage(stage, err as Error), nonRetryable: last });
    }
    throw err;
  } finally {
    clearInterval(timer);
    memory.stop();
    stalls.disable();
    ctx.log.info(`${stage}: longest event-loop stall ${Math.round(stalls.max / 1e6)} ms`);
  }
}
