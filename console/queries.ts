// What the console reads, as plain queries over the registry, lineage, prediction log, drift reports and
// feature store tables. Read-only: nothing here writes. Each page needs a handful of queries, whatever
// the number of models and versions (no query per row).
import type pg from 'pg';
import type { PerformanceEstimate, PerformanceValues } from '../core/monitor/cbpe';

export interface ModelRow {
  name: string;
  aliases: Record<string, number>;
  latestVersion: number | null;
  versions: number;
  lastRun: { run: string; stage: string; status: string; at: Date } | null;
  drift: { version: number; at: Date; datasetDrift: boolean; driftedShare: number } | null;
  /** Predictions per second over the last 5 minutes. */
  requestRate: number;
}

export const RATE_WINDOW_SECONDS = 300;

export async function listModels(pool: pg.Pool): Promise<ModelRow[]> {
  const [models, runs, drift, rates] = await Promise.all([
    pool.query(
      `SELECT m.name,
              (SELECT MAX(version) FROM model_versions v WHERE v.model = m.name) AS latest,
              (SELECT count(*) FROM model_versions v WHERE v.model = m.name)::int AS versions,
              COALESCE((SELECT jsonb_object_agg(alias, version) FROM model_aliases a WHERE a.model = m.name), '{}') AS aliases
         FROM registered_models m ORDER BY m.name`,
    ),
    // The newest stage execution of each model (an index-only scan of its associations), with its pipeline run.
    pool.query(
      `SELECT m.name AS model, r.name AS run, x.stage, x.status, x.started_at
         FROM contexts m
         CROSS JOIN LATERAL (SELECT max(a.execution_id) AS id FROM associations a WHERE a.context_id = m.id) newest
         JOIN executions x ON x.id = newest.id
         JOIN associations ar ON ar.execution_id = x.id
         JOIN contexts r ON r.id = ar.context_id AND r.type = 'pipeline_run'
        WHERE m.type = 'model'`,
    ),
    pool.query(`SELECT DISTINCT ON (model) model, version, at, dataset_drift, drifted_share FROM drift_reports ORDER BY model, at DESC, id DESC`),
    pool.query(`SELECT model, count(*)::int AS n FROM predictions WHERE at > now() - make_interval(secs => $1) GROUP BY model`, [RATE_WINDOW_SECONDS]),
  ]);
  const runOf = new Map(runs.rows.map((r) => [r.model as string, { run: r.run, stage: r.stage, status: r.status, at: r.started_at }]));
  const driftOf = new Map(
    drift.rows.map((r) => [r.model as string, { version: r.version, at: r.at, datasetDrift: r.dataset_drift, driftedShare: r.drifted_share }]),
  );
  const rateOf = new Map(rates.rows.map((r) => [r.model as string, r.n / RATE_WINDOW_SECONDS]));
  return models.rows.map((r) => ({
    name: r.name,
    aliases: r.aliases,
    latestVersion: r.latest,
    versions: r.versions,
    lastRun: runOf.get(r.name) ?? null,
    drift: driftOf.get(r.name) ?? null,
    requestRate: rateOf.get(r.name) ?? 0,
  }));
}

export interface VersionRow {
  version: number;
  algorithm: string | null;
  metrics: Record<string, number | null>;
  runKey: string;
  createdAt: Date;
  datasetSha256: string | null;
}

/** Every version of a model without the heavy properties (spec, importance, plan). */
export async function listVersionRows(pool: pg.Pool, model: string): Promise<VersionRow[]> {
  const res = await pool.query(
    `SELECT version, properties->>'algorithm' AS algorithm, metrics, run_key, created_at, properties->>'datasetSha256' AS dataset_sha256
       FROM model_versions WHERE model = $1 ORDER BY version DESC`,
    [model],
  );
  return res.rows.map((r) => ({
    version: r.version,
    algorithm: r.algorithm,
    metrics: r.metrics,
    runKey: r.run_key,
    createdAt: r.created_at,
    datasetSha256: r.dataset_sha256,
  }));
}

export interface StageTiming {
  stage: string;
  status: string;
  startedAt: Date;
  endedAt: Date | null;
  ms: number | null;
  codeVersion: string;
}

/** The stage executions of one pipeline run (context name `<workflowId>/<runId>`), in order. */
export async function stageTimings(pool: pg.Pool, run: string): Promise<StageTiming[]> {
  const res = await pool.query(
    `SELECT x.stage, x.status, x.started_at, x.ended_at, x.code_version
       FROM contexts c JOIN associations a ON a.context_id = c.id JOIN executions x ON x.id = a.execution_id
      WHERE c.type = 'pipeline_run' AND c.name = $1 ORDER BY x.id`,
    [run],
  );
  return res.rows.map((r) => ({
    stage: r.stage,
    status: r.status,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    codeVersion: r.code_version,
    ms: r.ended_at ? r.ended_at.getTime() - r.started_at.getTime() : null,
  }));
}

export interface DriftRow {
  id: number;
  version: number;
  at: Date;
  rows: number;
  driftedShare: number;
  datasetDrift: boolean;
  reportUri: string;
}

export interface DriftColumnRow {
  name: string;
  type: string;
  method: string;
  statistic: number;
  pValue: number | null;
  threshold: number;
  drifted: boolean;
  histogram?: { name: string; kind: string; bars: { label: string; reference: number; current: number }[]; referenceTotal: number; currentTotal: number };
}

const DRIFT_COLUMNS = 'id, version, at, rows, drifted_share, dataset_drift, report_uri, columns';

function driftRow(r: Record<string, unknown>): DriftRow & { columns: DriftColumnRow[] } {
  return {
    id: Number(r.id),
    version: r.version as number,
    at: r.at as Date,
    rows: r.rows as number,
    driftedShare: r.drifted_share as number,
    datasetDrift: r.dataset_drift as boolean,
    reportUri: r.report_uri as string,
    columns: r.columns as DriftColumnRow[],
  };
}

/** The newest drift reports of a model (at most `limit`), newest first, with their columns. */
export async function driftReports(pool: pg.Pool, model: string, limit = 200): Promise<(DriftRow & { columns: DriftColumnRow[] })[]> {
  const res = await pool.query(`SELECT ${DRIFT_COLUMNS} FROM drift_reports WHERE model = $1 ORDER BY at DESC, id DESC LIMIT $2`, [model, limit]);
  return res.rows.map(driftRow);
}

export async function driftReport(pool: pg.Pool, model: string, id: number): Promise<(DriftRow & { columns: DriftColumnRow[]; skew: unknown }) | undefined> {
  const res = await pool.query(`SELECT ${DRIFT_COLUMNS}, skew FROM drift_reports WHERE model = $1 AND id = $2`, [model, id]);
  const r = res.rows[0];
  return r ? { ...driftRow(r), skew: r.skew } : undefined;
}

type MetricValues = Partial<PerformanceValues>;

export interface EstimateRow {
  id: number;
  version: number;
  at: Date;
  windowStart: Date;
  windowEnd: Date;
  rows: number;
  /** CBPE: the expected metric from the served probabilities, with its 95% interval when stored. */
  estimated: MetricValues;
  interval: PerformanceEstimate['interval'];
  /** The version's test-split values the estimate is compared with. */
  reference: MetricValues;
  /** Once feedback labels arrived for the window's predictions: the realised metric on them. */
  realised: MetricValues | null;
  labels: number | null;
}

/** The newest performance estimates (CBPE) of a model (at most `limit`), oldest first. */
export async function performanceEstimates(pool: pg.Pool, model: string, limit = 500): Promise<EstimateRow[]> {
  const res = await pool.query(
    `SELECT * FROM (SELECT id, version, at, window_start, window_end, rows, estimated, reference, realised, labels FROM performance_estimates
      WHERE model = $1 ORDER BY at DESC, id DESC LIMIT $2) newest ORDER BY at, id`,
    [model, limit],
  );
  return res.rows.map((r) => {
    const { interval, ...estimated } = r.estimated as MetricValues & { interval?: EstimateRow['interval'] };
    return {
      id: Number(r.id),
      version: r.version,
      at: r.at,
      windowStart: r.window_start,
      windowEnd: r.window_end,
      rows: r.rows,
      estimated,
      interval: interval ?? { accuracy: null, f1: null, roc_auc: null },
      reference: r.reference ?? {},
      realised: r.realised,
      labels: r.labels,
    };
  });
}

export interface FeatureSetRow {
  name: string;
  version: number;
  createdAt: Date;
  features: string[];
  entity: string | null;
  watermark: Date | null;
  parts: number;
  rows: number;
  onlineEntities: number;
}

export async function featureSets(pool: pg.Pool): Promise<FeatureSetRow[]> {
  const res = await pool.query(
    `SELECT s.name, s.version, s.created_at, s.definition, w.watermark,
            (SELECT count(*) FROM feature_materializations m WHERE m.set_name = s.name AND m.version = s.version)::int AS parts,
            (SELECT COALESCE(sum(rows), 0) FROM feature_materializations m WHERE m.set_name = s.name AND m.version = s.version)::bigint AS rows,
            (SELECT count(*) FROM online_features o WHERE o.set_name = s.name AND o.version = s.version)::int AS online
       FROM feature_sets s LEFT JOIN feature_watermarks w ON w.set_name = s.name AND w.version = s.version
      ORDER BY s.name, s.version DESC`,
  );
  return res.rows.map((r) => {
    const def = r.definition as { entity?: string; columns?: string[]; features?: { derive?: { name?: string }[] } };
    return {
      name: r.name,
      version: r.version,
      createdAt: r.created_at,
      watermark: r.watermark,
      parts: r.parts,
      rows: Number(r.rows),
      onlineEntities: r.online,
      entity: typeof def.entity === 'string' ? def.entity : null,
      features: [...(def.columns ?? []), ...(def.features?.derive ?? []).map((d) => String(d.name ?? ''))],
    };
  });
}
