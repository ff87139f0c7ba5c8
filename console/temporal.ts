// The console's view of Temporal: links into the Temporal UI (where runs are started, watched and
// signalled) and the A/B test's checks, read from the `ab-<model>` workflow history (each checkRollout
// result is one look: the arms' outcomes and the running always-valid p-value). Nothing here writes.
import { defaultPayloadConverter } from '@temporalio/common';
import { tsToDate } from '@temporalio/common/lib/time';
import type { Client } from '@temporalio/client';
import type { Config } from '../core/config';
import type { AbNumbers } from '../core/stats/ab';
import { abWorkflowId } from '../workflows/contracts';

/** <Temporal UI>/namespaces/<ns>: the UI of the configured server, as a browser reaches it (MLOPS_TEMPORAL_UI_URL). */
export function temporalUiBase(config: Config): string {
  return `${config.temporal.uiUrl}/namespaces/${encodeURIComponent(config.temporal.namespace)}`;
}

export function workflowUrl(base: string, workflowId: string, runId?: string): string {
  return `${base}/workflows/${encodeURIComponent(workflowId)}${runId ? `/${encodeURIComponent(runId)}` : ''}/history`;
}

/** Every workflow of a model (pipelines, monitor, A/B test) by the MlopsModel search attribute. */
export function modelWorkflowsUrl(base: string, model: string): string {
  return `${base}/workflows?query=${encodeURIComponent(`MlopsModel="${model}"`)}`;
}

/** `<workflowId>/<runId>` (a run key, a lineage run context) → its parts. */
export function splitRunKey(runKey: string): { workflowId: string; runId?: string } {
  const cut = runKey.lastIndexOf('/');
  return cut > 0 ? { workflowId: runKey.slice(0, cut), runId: runKey.slice(cut + 1) } : { workflowId: runKey };
}

export interface AbCheck {
  at: Date;
  decision: string;
  reason: string;
  numbers: AbNumbers;
}

export interface AbTestView {
  workflowId: string;
  runId: string;
  status: string;
  input: { champion?: number; challenger?: number; strategy?: string; share?: number } | null;
  checks: AbCheck[];
}

type Payload = Parameters<typeof defaultPayloadConverter.fromPayload>[0];

function decode<T>(payload: unknown): T | undefined {
  return payload ? defaultPayloadConverter.fromPayload<T>(payload as Payload) : undefined;
}

/** The latest run of `ab-<model>` and its checks, or null when the model never had an A/B test. */
export async function abTestView(client: Client, model: string): Promise<AbTestView | null> {
  const handle = client.workflow.getHandle(abWorkflowId(model));
  let desc;
  try {
    desc = await handle.describe();
  } catch (err) {
    if ((err as Error).name === 'WorkflowNotFoundError') return null;
    throw err;
  }
  const history = await client.workflow.getHandle(abWorkflowId(model), desc.runId).fetchHistory();
  const checkIds = new Set<string>();
  const checks: AbCheck[] = [];
  let input: AbTestView['input'] = null;
  for (const e of history.events ?? []) {
    const started = e.workflowExecutionStartedEventAttributes;
    if (started) input = decode(started.input?.payloads?.[0]) ?? null;
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled?.activityType?.name === 'checkRollout' && e.eventId) checkIds.add(String(e.eventId));
    const done = e.activityTaskCompletedEventAttributes;
    if (done && checkIds.has(String(done.scheduledEventId)) && e.eventTime) {
      const result = decode<{ current: boolean; verdict: { decision: string; reason: string; numbers: AbNumbers } | null }>(done.result?.payloads?.[0]);
      if (result?.verdict) checks.push({ at: tsToDate(e.eventTime), ...result.verdict });
    }
  }
  return { workflowId: desc.workflowId, runId: desc.runId, status: desc.status.name, input, checks };
}

export interface ActivityTiming {
  activity: string;
  ms: number;
  status: 'completed' | 'failed' | 'timed out' | 'canceled';
}

/**
 * Each activity of one workflow run, scheduled → closed, from its history: the stage timings as Temporal saw
 * them (lineage records a stage when it ends, so its own start time is not the stage's).
 */
export async function activityTimings(client: Client, workflowId: string, runId: string): Promise<ActivityTiming[]> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const scheduled = new Map<string, { name: string; at: number }>();
  const out: ActivityTiming[] = [];
  for (const e of history.events ?? []) {
    if (!e.eventTime) continue;
    const at = tsToDate(e.eventTime).getTime();
    const s = e.activityTaskScheduledEventAttributes;
    if (s && e.eventId) scheduled.set(String(e.eventId), { name: s.activityType?.name ?? '?', at });
    const closed: [{ scheduledEventId?: unknown } | null | undefined, ActivityTiming['status']][] = [
      [e.activityTaskCompletedEventAttributes, 'completed'],
      [e.activityTaskFailedEventAttributes, 'failed'],
      [e.activityTaskTimedOutEventAttributes, 'timed out'],
      [e.activityTaskCanceledEventAttributes, 'canceled'],
    ];
    for (const [attrs, status] of closed) {
      const from = attrs ? scheduled.get(String(attrs.scheduledEventId)) : undefined;
      if (from) out.push({ activity: from.name, ms: at - from.at, status });
    }
  }
  return out;
}
