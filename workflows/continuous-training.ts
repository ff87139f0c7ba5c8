// Level 1: continuous training. One workflow per model (id ct-<model>) runs the pipeline unattended and
// deploys only a blessed model. Every trigger — CLI, schedule, drift signal, new data, the Temporal UI — ends
// up here: requests arriving during a run are coalesced into one follow-up run (continue-as-new), so at most
// one run per model trains and deploys at a time and no request is lost.
import { continueAsNew, setHandler, upsertSearchAttributes, uuid4, workflowInfo } from '@temporalio/workflow';
import { raiseAlert, raiseRunFailed } from './alerts';
import {
  ctWorkflowId,
  MlopsLevel,
  MlopsModel,
  MlopsTrigger,
  retrainSignal,
  statusQuery,
  type ForwardedResult,
  type PipelineInput,
  type RunResult,
  type TrainingRequest,
  type Trigger,
} from './contracts';
import { initialStatus, runPipeline, specOf } from './run';
import { activitiesFor } from './stages';

const { requestTraining } = activitiesFor('requestTraining');

export async function continuousTrainingPipeline(input: PipelineInput): Promise<RunResult | ForwardedResult> {
  const spec = specOf(input);
  const run = input.run ?? {};
  const trigger: Trigger = run.trigger ?? 'manual';
  const info = workflowInfo();
  const home = ctWorkflowId(spec.name);

  // Started under another id (a schedule appends a timestamp; the UI lets a person pick any id): hand the
  // request to the model's CT workflow, which coalesces it with whatever is running.
  if (info.workflowId !== home) {
    const request: TrainingRequest = {
      requestId: uuid4(),
      trigger,
      reason: run.reason,
      driftedColumns: run.driftedColumns,
      reportUri: run.reportUri,
      spec: input,
    };
    const { spec: _ignored, ...startRun } = request;
    void _ignored;
    const target = await requestTraining({ workflowId: home, request, startInput: { ...input, run: { ...run, ...startRun } } });
    return { status: 'forwarded', workflowId: target.workflowId, runId: target.runId, reasons: [`coalesced into ${home}`] };
  }

  upsertSearchAttributes([
    { key: MlopsModel, value: spec.name },
    { key: MlopsLevel, value: 1 },
    { key: MlopsTrigger, value: trigger },
  ]);
  const status = initialStatus(spec.name, 1, trigger);
  const pending: TrainingRequest[] = [];
  setHandler(retrainSignal, (request) => {
    // The request that started this run (signal-with-start) is this run, not a follow-up.
    if (request.requestId !== run.requestId) pending.push(request);
    status.pendingRequests = pending.length;
  });
  setHandler(statusQuery, () => status);

  let result: RunResult;
  try {
    result = await runPipeline(spec, run, status, { beforeStage: async () => ({ go: true }) });
  } catch (err) {
    await raiseRunFailed(spec.name, status, err, spec.alerts?.webhooks ?? []);
    throw err;
  }
  // Drift again, but the data is what production learnt from: retraining cannot help until new data or labels arrive.
  if (result.status === 'skipped' && trigger === 'drift') {
    await raiseAlert({
      event: 'drift.persists',
      model: spec.name,
      version: result.deployed?.version ?? null,
      webhooks: spec.alerts?.webhooks ?? [],
      message: `${spec.name}: drift persists (${run.reason ?? 'drift'}), but the training data is unchanged, so retraining was skipped; new data or feedback labels are needed`,
      numbers: {
        driftedColumns: run.driftedColumns ?? [],
        reportUri: run.reportUri ?? null,
        datasetSha256: result.dataset?.sha256 ?? null,
        rows: result.dataset?.rows ?? null,
        reasons: result.reasons,
      },
    });
  }

  if (pending.length > 0) {
    // One follow-up run for everything that arrived meanwhile: the latest spec, every reason and drifted column.
    const last = pending[pending.length - 1]!;
    const next: PipelineInput = {
      ...((last.spec as PipelineInput | undefined) ?? input),
      run: {
        trigger: last.trigger,
        reason: [...new Set(pending.map((p) => p.reason ?? p.trigger))].join('; '),
        driftedColumns: [...new Set(pending.flatMap((p) => p.driftedColumns ?? []))],
        reportUri: last.reportUri,
        requestId: last.requestId,
      },
    };
    await continueAsNew<typeof continuousTrainingPipeline>(next);
  }
  return result;
}
