// Level 0: the same stages, each run only when a person advances it — `mlops advance ID`, or the `advance`
// update from the Temporal UI. Between stages the `status` query lists what the last stage produced. A run
// nobody advances ends cleanly (rejected) after the approval timeout.
import { condition, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { raiseRunFailed } from './alerts';
import {
  advanceUpdate,
  MlopsLevel,
  MlopsModel,
  MlopsTrigger,
  statusQuery,
  type AdvanceInput,
  type PipelineInput,
  type RunResult,
  type Stage,
} from './contracts';
import { initialStatus, runPipeline, specOf } from './run';

export async function manualPipeline(input: PipelineInput): Promise<RunResult> {
  const spec = specOf(input);
  const run = input.run ?? {};
  const trigger = run.trigger ?? 'manual';
  upsertSearchAttributes([
    { key: MlopsModel, value: spec.name },
    { key: MlopsLevel, value: 0 },
    { key: MlopsTrigger, value: trigger },
  ]);
  const status = initialStatus(spec.name, 0, trigger);
  let decision: { stage: Stage; approve: boolean; reason?: string } | undefined;
  setHandler(statusQuery, () => status);
  setHandler(
    advanceUpdate,
    (a: AdvanceInput) => {
      const stage = status.waitingFor!;
      decision = { stage, approve: a.approve !== false, reason: a.reason };
      return { stage, approved: decision.approve };
    },
    {
      validator: (a: AdvanceInput) => {
        if (status.waitingFor === null) throw new Error(`no stage is waiting to be advanced (current stage: ${status.stage ?? 'none'})`);
        if (a.stage !== undefined && a.stage !== status.waitingFor) throw new Error(`stage ${a.stage} is not waiting; ${status.waitingFor} is`);
        if (a.approve === false && !a.reason) throw new Error('rejecting a stage needs a reason');
      },
    },
  );
  const timeout = run.approvalTimeout ?? '7 days';
  try {
    return await runPipeline(spec, run, status, {
      beforeStage: async (stage) => {
        status.waitingFor = stage;
        status.stages[stage] = { state: 'waiting' };
        decision = undefined;
        const answered = await condition(() => decision !== undefined, timeout);
        status.waitingFor = null;
        if (!answered) return { go: false, reason: `${stage} was not advanced within ${timeout}; the run ended` };
        if (!decision!.approve) return { go: false, reason: `${stage} rejected: ${decision!.reason}` };
        return { go: true };
      },
    });
  } catch (err) {
    await raiseRunFailed(spec.name, status, err, spec.alerts?.webhooks ?? []);
    throw err;
  }
}
