// Performance of a deployed binary classifier per monitor window before labels arrive (CBPE on the served
// probabilities, stored in performance_estimates), and the same windows' realised performance once feedback
// labels arrive for their predictions, with the estimate's error stored beside it.
import type { Stores } from '../store';
import {
  ESTIMATED_METRICS,
  estimatePerformance,
  realisedMetrics,
  type CbpeReference,
  type EstimatedMetric,
  type PerformanceEstimate,
  type PerformanceValues,
} from './cbpe';

export interface EstimateCheck extends PerformanceEstimate {
  id: number;
  reference: PerformanceValues;
  /** Metrics whose estimate fell more than maxEstimatedDrop below the reference, with the whole interval below it. */
  dropped: EstimatedMetric[];
  maxEstimatedDrop: number;
}

export interface RealisedEstimate {
  id: number;
  labels: number;
  realised: PerformanceValues;
  /** estimated − realised per metric. */
  error: PerformanceValues;
}

/** Estimates the window's performance from its served probabilities and stores it (null: too few rows or not a binary classifier). */
export async function estimateWindow(
  input: { model: string; version: number; windowSeconds: number; minRows: number; maxEstimatedDrop: number },
  cbpe: CbpeReference | undefined,
  classes: string[] | undefined,
  stores: Stores,
): Promise<EstimateCheck | null> {
  if (!cbpe || !classes || classes.length !== 2) return null;
  const res = await stores.pool.query<{ p: number | null; start: Date; end: Date }>(
    `SELECT (p.output->'probabilities'->>$3)::float8 AS p, now() - make_interval(secs => $4) AS start, now() AS end FROM predictions p
      WHERE p.model = $1 AND p.version = $2 AND p.at > now() - make_interval(secs => $4)`,
    [input.model, input.version, classes[1], input.windowSeconds],
  );
  const scores = res.rows.map((r) => r.p).filter((p): p is number => typeof p === 'number' && Number.isFinite(p));
  if (scores.length < input.minRows) return null;
  const estimate = estimatePerformance(scores, { threshold: cbpe.threshold, calibration: cbpe.calibration, seed: input.version });
  // A drop counts when it is larger than allowed AND beyond the window's sampling error.
  const dropped = ESTIMATED_METRICS.filter((k) => {
    const ref = cbpe.realised[k];
    const est = estimate.estimated[k];
    const interval = estimate.interval[k];
    return ref !== null && est !== null && interval !== null && ref - est > input.maxEstimatedDrop && interval[1] < ref;
  });
  const row = await stores.pool.query<{ id: string }>(
    `INSERT INTO performance_estimates (model, version, window_start, window_end, rows, estimated, reference) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
    [
      input.model,
      input.version,
      res.rows[0]!.start,
      res.rows[0]!.end,
      scores.length,
      JSON.stringify({ ...estimate.estimated, interval: estimate.interval }),
      JSON.stringify(cbpe.realised),
    ],
  );
  return { ...estimate, id: Number(row.rows[0]!.id), reference: cbpe.realised, dropped, maxEstimatedDrop: input.maxEstimatedDrop };
}

/**
 * Windows of this version whose predictions got more labels since last time: their realised metrics on the
 * labelled predictions and the estimate's error, stored. Labels of a window that arrive later update it.
 */
export async function realiseEstimates(
  input: { model: string; version: number; minLabels: number },
  cbpe: CbpeReference | undefined,
  classes: string[] | undefined,
  stores: Stores,
): Promise<RealisedEstimate[]> {
  if (!cbpe || !classes || classes.length !== 2) return [];
  const open = await stores.pool.query<{ id: string; window_start: Date; window_end: Date; rows: number; labels: number | null; estimated: PerformanceValues }>(
    `SELECT id, window_start, window_end, rows, labels, estimated FROM performance_estimates
      WHERE model = $1 AND version = $2 AND (labels IS NULL OR labels < rows) ORDER BY id DESC LIMIT 100`,
    [input.model, input.version],
  );
  const out: RealisedEstimate[] = [];
  for (const e of open.rows) {
    const res = await stores.pool.query<{ p: number | null; label: string }>(
      `SELECT (p.output->'probabilities'->>$3)::float8 AS p, f.label FROM predictions p JOIN feedback f ON f.prediction_id = p.id
        WHERE p.model = $1 AND p.version = $2 AND p.at > $4 AND p.at <= $5`,
      [input.model, input.version, classes[1], e.window_start, e.window_end],
    );
    const labelled = res.rows.filter((r) => typeof r.p === 'number' && Number.isFinite(r.p));
    if (labelled.length < input.minLabels || labelled.length <= (e.labels ?? 0)) continue;
    const realised = realisedMetrics(
      labelled.map((r) => r.p!),
      labelled.map((r) => (r.label === classes[1] ? 1 : 0)),
      cbpe.threshold,
    );
    const error = Object.fromEntries(
      ESTIMATED_METRICS.map((k) => [k, e.estimated[k] !== null && realised[k] !== null ? e.estimated[k]! - realised[k]! : null]),
    ) as PerformanceValues;
    await stores.pool.query(`UPDATE performance_estimates SET realised = $2, error = $3, labels = $4, realised_at = now() WHERE id = $1`, [
      e.id,
      JSON.stringify(realised),
      JSON.stringify(error),
      labelled.length,
    ]);
    out.push({ id: Number(e.id), labels: labelled.length, realised, error });
  }
  return out;
}
