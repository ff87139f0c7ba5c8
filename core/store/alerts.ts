// The alert delivery log (Postgres): one row per webhook per attempt; `mlops alerts log` reads it.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { AlertEvent } from '../alerts/webhooks';

export interface DeliveryAttempt {
  alertId: string;
  event: AlertEvent;
  model: string;
  version: number | null;
  workflowId: string;
  /** As displayed (displayUrl): no query string. */
  url: string;
  /** SHA-256 of the full URL (webhookTarget). */
  target: string;
  attempt: number;
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  final: boolean;
  ms: number;
  at?: Date;
}

/** Identifies a webhook in the log without storing its full URL's query string in the clear. */
export function webhookTarget(url: string): string {
  return createHash('sha256').update(url).digest('hex');
}

export async function logDelivery(pool: pg.Pool, a: DeliveryAttempt): Promise<void> {
  await pool.query(
    `INSERT INTO alert_deliveries (alert_id, event, model, version, workflow_id, url, target, attempt, ok, status_code, error, final, duration_ms)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
    [a.alertId, a.event, a.model, a.version, a.workflowId, a.url, a.target, a.attempt, a.ok, a.statusCode, a.error, a.final, Math.round(a.ms)],
  );
}

/** Webhooks (targets) that already took this alert, or refused it for good: a retry skips them. */
export async function settledTargets(pool: pg.Pool, alertId: string): Promise<Set<string>> {
  const res = await pool.query<{ target: string }>('SELECT DISTINCT target FROM alert_deliveries WHERE alert_id = $1 AND (ok OR final)', [alertId]);
  return new Set(res.rows.map((r) => r.target));
}

export async function listDeliveries(pool: pg.Pool, opts: { model?: string; limit?: number } = {}): Promise<DeliveryAttempt[]> {
  const res = await pool.query(
    `SELECT alert_id, event, model, version, workflow_id, url, target, attempt, ok, status_code, error, final, duration_ms, at
       FROM alert_deliveries WHERE ($1::text IS NULL OR model = $1) ORDER BY id DESC LIMIT $2`,
    [opts.model ?? null, opts.limit ?? 50],
  );
  return res.rows.map((r) => ({
    alertId: r.alert_id,
    event: r.event,
    model: r.model,
    version: r.version,
    workflowId: r.workflow_id,
    url: r.url,
    target: r.target,
    attempt: r.attempt,
    ok: r.ok,
    statusCode: r.status_code,
    error: r.error,
    final: r.final,
    ms: r.duration_ms,
    at: r.at,
  }));
}
