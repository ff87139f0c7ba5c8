// The drift monitor of one deployed model (id drift-<model>): every interval it compares the logged
// features of recent predictions with the deployed version's training reference; on dataset drift it asks
// the model's CT workflow to retrain (trigger `drift`, drifted columns, report), at most once per cool-down.
// Every deploy refreshes it; it continues as new so it can run for months.
import { continueAsNew, defineQuery, defineSignal, setHandler, sleep, upsertSearchAttributes, uuid4 } from '@temporalio/workflow';
import type { MonitorInput } from '../activities/monitor';
import { ctWorkflowId } from './messages';
import { controlActivities, MlopsLevel, MlopsModel, MlopsTrigger } from './stages';

export const refreshMonitorSignal = defineSignal<[MonitorInput]>('refresh');

export interface MonitorStatus {
  model: string;
  checks: number;
  retrains: number;
  last: { version: number | null; rows: number; datasetDrift: boolean; driftedColumns: string[]; reportUri: string | null } | null;
}
export const monitorStatusQuery = defineQuery<MonitorStatus>('status');

const CHECKS_PER_RUN = 200;

export async function driftMonitor(input: MonitorInput): Promise<void> {
  let settings = input;
  upsertSearchAttributes([
    { key: MlopsModel, value: input.model },
    { key: MlopsLevel, value: 1 },
    { key: MlopsTrigger, value: 'drift' },
  ]);
  const status: MonitorStatus = { model: input.model, checks: 0, retrains: input.retrains ?? 0, last: null };
  let lastRetrainAt = input.lastRetrainAt ?? 0;
  setHandler(refreshMonitorSignal, (next) => {
    settings = { ...next, lastRetrainAt, retrains: status.retrains };
  });
  setHandler(monitorStatusQuery, () => status);
  for (let i = 0; i < CHECKS_PER_RUN; i++) {
    await sleep(settings.interval * 1000);
    const r = await controlActivities.checkDrift({ model: settings.model, windowSeconds: settings.window, minRows: settings.minRows, options: { correction: settings.correction } });
    status.checks++;
    status.last = { version: r.version, rows: r.rows, datasetDrift: r.datasetDrift, driftedColumns: r.driftedColumns, reportUri: r.reportUri };
    if (r.datasetDrift && r.spec && Date.now() - lastRetrainAt >= settings.coolDown * 1000) {
      lastRetrainAt = Date.now();
      status.retrains++;
      const request = { requestId: uuid4(), trigger: 'drift' as const, reason: `drift in ${r.driftedColumns.join(', ')}`, driftedColumns: r.driftedColumns, reportUri: r.reportUri ?? undefined };
      const { requestId, trigger, reason, driftedColumns, reportUri } = request;
      await controlActivities.requestTraining({ workflowId: ctWorkflowId(settings.model), request, startInput: { ...r.spec, run: { requestId, trigger, reason, driftedColumns, reportUri } } });
    }
  }
  await continueAsNew<typeof driftMonitor>({ ...settings, lastRetrainAt, retrains: status.retrains });
}
