// Activities of the drift monitor: one drift check of the deployed model, and starting (or refreshing)
// the model's monitor after a deploy.
import type { Client } from '@temporalio/client';
import type { Stores } from '../core/store';
import { checkModelDrift, type DriftCheck, type DriftCheckInput } from '../core/monitor/check';
import { driftWorkflowId, refreshMonitorSignal, workflows, type MonitorInput } from '../workflows/contracts';

export function makeMonitor(deps: { stores: Stores; client?: Client; taskQueue: string }) {
  return {
    async checkDrift(input: DriftCheckInput): Promise<DriftCheck & { spec: Record<string, unknown> | null }> {
      const check = await checkModelDrift(input, deps.stores);
      let spec: Record<string, unknown> | null = null;
      if (check.version !== null) {
        const mv = await deps.stores.registry.getVersion(input.model, check.version);
        spec = ((mv?.properties ?? {}) as { spec?: Record<string, unknown> }).spec ?? null;
      }
      return { ...check, spec };
    },

    /** Signal-with-start of drift-<model>: starts the monitor, or refreshes the running one. */
    async ensureMonitor(input: MonitorInput): Promise<string> {
      if (!deps.client) throw new Error('ensureMonitor needs a Temporal client on this worker');
      const workflowId = driftWorkflowId(input.model);
      await deps.client.workflow.signalWithStart(workflows.driftMonitor, {
        workflowId,
        taskQueue: deps.taskQueue,
        args: [input],
        signal: refreshMonitorSignal,
        signalArgs: [input],
      });
      return workflowId;
    },
  };
}
