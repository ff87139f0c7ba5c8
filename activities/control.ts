// Activities the pipelines use to coordinate: what production was trained from (for skip decisions and
// compare-and-set deploys), and forwarding a training request to the model's one CT workflow.
import type { Client } from '@temporalio/client';
import { createHash } from 'node:crypto';
import { canonicalJson } from '../core/canonical-json';
import type { PipelineSpec } from '../core/spec';
import type { ModelRegistry } from '../core/store/registry';
import { codeVersion } from '../core/version';
import { retrainSignal, workflows, type TrainingRequest } from '../workflows/contracts';

export interface ProductionInfo {
  version: number | null;
  datasetSha256: string | null;
  specSha256: string | null;
  codeVersion: string | null;
}

export function makeControl(deps: { registry: ModelRegistry; client?: Client; taskQueue: string }) {
  return {
    async productionInfo(input: { model: string; alias: string }): Promise<ProductionInfo> {
      const version = (await deps.registry.getAlias(input.model, input.alias).catch(() => undefined)) ?? null;
      if (version === null) return { version: null, datasetSha256: null, specSha256: null, codeVersion: null };
      const mv = await deps.registry.getVersion(input.model, version);
      const p = (mv?.properties ?? {}) as Record<string, unknown>;
      return {
        version,
        datasetSha256: (p.datasetSha256 as string) ?? null,
        specSha256: (p.specSha256 as string) ?? null,
        codeVersion: (p.codeVersion as string) ?? null,
      };
    },

    /** True when production was trained from this very dataset, spec and code (the run can be skipped). */
    async sameAsProduction(input: { spec: PipelineSpec; datasetSha256: string; production: ProductionInfo }): Promise<boolean> {
      const p = input.production;
      if (p.version === null) return false;
      const specSha256 = createHash('sha256').update(canonicalJson(input.spec)).digest('hex');
      return p.datasetSha256 === input.datasetSha256 && p.specSha256 === specSha256 && p.codeVersion === codeVersion();
    },

    /** Signal-with-start of the model's CT workflow: starts it, or coalesces into the run in progress. */
    async requestTraining(input: {
      workflowId: string;
      request: TrainingRequest;
      startInput: Record<string, unknown>;
    }): Promise<{ workflowId: string; runId: string }> {
      if (!deps.client) throw new Error('requestTraining needs a Temporal client on this worker');
      const handle = await deps.client.workflow.signalWithStart(workflows.continuousTrainingPipeline, {
        workflowId: input.workflowId,
        taskQueue: deps.taskQueue,
        args: [input.startInput],
        signal: retrainSignal,
        signalArgs: [input.request],
      });
      return { workflowId: input.workflowId, runId: handle.signaledRunId };
    },
  };
}
