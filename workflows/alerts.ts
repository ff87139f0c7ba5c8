// Raising alerts from workflows: one deliverAlert activity per alert, retried with backoff by Temporal.
// A webhook that stays down is logged by the activity and never fails the workflow that raised it.
// Runs recorded before alerts existed replay unchanged: every raise sits behind one patch.
import { isCancellation, log, patched, uuid4, workflowInfo } from '@temporalio/workflow';
import type { Alert } from '../core/alerts/webhooks';
import type { StatusView } from './contracts';
import { activitiesFor } from './stages';

export const ALERTS_PATCH = 'alert-webhooks';

const { deliverAlert } = activitiesFor('deliverAlert');

export type RaisedAlert = Omit<Alert, 'id' | 'at' | 'workflowId' | 'runId'>;

export async function raiseAlert(alert: RaisedAlert): Promise<void> {
  if (!patched(ALERTS_PATCH)) return;
  const info = workflowInfo();
  try {
    await deliverAlert({ ...alert, id: uuid4(), at: new Date().toISOString(), workflowId: info.workflowId, runId: info.runId });
  } catch (err) {
    if (isCancellation(err)) throw err;
    log.warn(`alert ${alert.event} for ${alert.model} was not delivered: ${(err as Error).message}`);
  }
}

/** The innermost cause of a failure (the activity's own message), with its failure type. */
export function rootCause(err: unknown): { type: string | null; message: string } {
  let cur = err as { cause?: unknown; message?: string; type?: string } | undefined;
  let type: string | null = null;
  let message = String((err as Error)?.message ?? err);
  for (let depth = 0; cur && depth < 20; depth++) {
    if (typeof cur.type === 'string') type = cur.type;
    if (cur.message) message = cur.message;
    cur = cur.cause as typeof cur;
  }
  return { type, message };
}

/** run.failed for a pipeline run that threw: which stage, the failure type and the innermost message. */
export async function raiseRunFailed(model: string, status: StatusView, err: unknown, webhooks: Alert['webhooks']): Promise<void> {
  if (isCancellation(err)) return;
  const stage = status.stage && status.stage !== 'done' ? status.stage : null;
  const cause = rootCause(err);
  await raiseAlert({
    event: 'run.failed',
    model,
    version: null,
    webhooks,
    message: `${model}: the ${status.trigger} run failed${stage ? ` in ${stage}` : ''}: ${cause.message}`,
    numbers: { stage, failureType: cause.type, trigger: status.trigger, level: status.level },
  });
}

/** Started by the CLI (id alert-<uuid>) for an alert raised outside a workflow, such as a rollback by hand. */
export async function alertDelivery(alert: Alert): Promise<{ delivered: number; targets: number; error?: string }> {
  try {
    const out = await deliverAlert(alert);
    return { delivered: out.delivered, targets: out.targets };
  } catch (err) {
    return { delivered: 0, targets: 0, error: rootCause(err).message };
  }
}
