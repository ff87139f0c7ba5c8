// Activities of the drift monitor: one drift check of the deployed model, and starting (or refreshing)
// the model's monitor after a deploy.
import type { Client } from '@temporalio/client';
import type { Stores } from '../core/store';
import type { MonitorDriftSpec } from '../core/monitor/drift-options';
import { checkModelDrift, type DriftCheck, type DriftCheckInput } from '../core/monitor/check';

export interface MonitorInput {
  model: string;
  interval: number;
  window: number;
  coolDown: number;
  minRows: number;
  correction: 'none' | 'bonferroni' | 'bh';
  /** The drift tests (spec.monitor.method, threshold, columns, base, autoTestMaxValues); absent = auto. */
  method?: MonitorDriftSpec['method'];
  threshold?: MonitorDriftSpec['threshold'];
  columns?: MonitorDriftSpec['columns'];
  base?: MonitorDriftSpec['base'];
  autoTestMaxValues?: number;
  domainClassifier?: MonitorDriftSpec['domainClassifier'];
  /** CBPE alarm: estimated drop below the test split's performance; what it does. */
  maxEstimatedDrop?: number;
  onEstimatedDrop?: 'alert' | 'retrain';
  maxPerformanceDrop?: number;
  minLabels?: number;
  /** Carried across continue-as-new: when the monitor last asked for a retraining (epoch ms). */
  lastRetrainAt?: number;
  retrains?: number;
}

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
      const workflowId = `drift-${input.model}`;
      await deps.client.workflow.signalWithStart('driftMonitor', { workflowId, taskQueue: deps.taskQueue, args: [input], signal: 'refresh', signalArgs: [input] });
      return workflowId;
    },
  };
}
