// The alert delivery log (Postgres): one row per webhook per attempt; `mlops alerts log` reads it.
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
  attempt: number;
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  final: boolean;
  ms: number;
  at?: Date;
}

export async function logDelivery(pool: pg.Pool, a: DeliveryAttempt): Promise<void> {
  await pool.query(
    `INSERT INTO alert_deliveries (alert_id, event, model, version, workflow_id, url, attempt, ok, status_code, error, final, duration_ms)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
    [a.alertId, a.event, a.model, a.version, a.workflowId, a.url, a.attempt, a.ok, a.statusCode, a.error, a.final, Math.round(a.ms)],
  );
}

/** URLs (as logged) that already took this alert, or refused it for good: a retry skips them. */
export async function settledUrls(pool: pg.Pool, alertId: string): Promise<Set<string>> {
  const res = await pool.query<{ url: string }>('SELECT DISTINCT url FROM alert_deliveries WHERE alert_id = $1 AND (ok OR final)', [alertId]);
  return new Set(res.rows.map((r) => r.url));
}

export async function listDeliveries(pool: pg.Pool, opts: { model?: string; limit?: number } = {}): Promise<DeliveryAttempt[]> {
  const res = await pool.query(
    `SELECT alert_id, event, model, version, workflow_id, url, attempt, ok, status_code, error, final, duration_ms, at
       FROM alert_deliveries WHERE ($1::text IS NULL OR model = $1) ORDER BY id DESC LIMIT $2`,
    [opts.model ?? null, opts.limit ?? 50],
  );
  return res.rows.map((r) => ({
    alertId: r.alert_id, event: r.event, model: r.model, version: r.version, workflowId: r.workflow_id, url: r.url, attempt: r.attempt,
    ok: r.ok, statusCode: r.status_code, error: r.error, final: r.final, ms: r.duration_ms, at: r.at,
  }));
}
