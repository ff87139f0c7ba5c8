// Reads of the prediction log that training uses: the features of recent traffic (reweighting) and the
// logged rows that got feedback labels (added to the retraining data). Bounded, newest first.
import type pg from 'pg';

export const MAX_LOGGED_ROWS = 50_000;

/** Logged features of `model`'s predictions in the last `windowSeconds` (any version), newest first. */
export async function loggedFeatures(pool: pg.Pool, model: string, windowSeconds: number, limit = MAX_LOGGED_ROWS): Promise<Record<string, unknown>[]> {
  const res = await pool.query<{ features: Record<string, unknown> }>(
    `SELECT features FROM predictions WHERE model = $1 AND at > now() - make_interval(secs => $2) ORDER BY at DESC LIMIT $3`,
    [model, windowSeconds, limit],
  );
  return res.rows.map((r) => r.features);
}

export interface LabelledRow {
  features: Record<string, unknown>;
  label: string;
  /** When the prediction was made (the event time of a feedback row when the spec joins feature sets). */
  at: Date;
}

/** Logged predictions of `model` that got a feedback label, newest first. */
export async function labelledRows(pool: pg.Pool, model: string, limit = MAX_LOGGED_ROWS): Promise<LabelledRow[]> {
  const res = await pool.query<LabelledRow>(
    `SELECT p.features, f.label, p.at FROM predictions p JOIN feedback f ON f.prediction_id = p.id WHERE p.model = $1 ORDER BY p.at DESC, p.id LIMIT $2`,
    [model, limit],
  );
  return res.rows;
}
