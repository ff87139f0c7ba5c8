// Deployment targets of model versions (Postgres, model_targets): bundle, measured costs, and the verdict of
// the target's gates. Shown by `mlops models show` and returned in the run result.
import type pg from 'pg';
import type { DeployTarget, TargetCostsResult } from '../export/costs';

export interface TargetRecord {
  model: string;
  version: number;
  target: DeployTarget;
  bundle: { uri: string; sha256: string } | null;
  costs: TargetCostsResult;
  blessed: boolean;
  reasons: string[];
  measuredAt?: Date;
}

export async function recordTarget(pool: pg.Pool, r: TargetRecord): Promise<void> {
  await pool.query(
    `INSERT INTO model_targets (model, version, target, bundle_uri, bundle_sha256, costs, blessed, reasons)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (model, version, target) DO UPDATE SET bundle_uri = EXCLUDED.bundle_uri, bundle_sha256 = EXCLUDED.bundle_sha256,
       costs = EXCLUDED.costs, blessed = EXCLUDED.blessed, reasons = EXCLUDED.reasons, measured_at = now()`,
    [r.model, r.version, r.target, r.bundle?.uri ?? null, r.bundle?.sha256 ?? null, JSON.stringify(r.costs), r.blessed, JSON.stringify(r.reasons)],
  );
}

/** The targets recorded for a model (one version, or all), by version then server, edge, browser. */
export async function listTargets(pool: pg.Pool, model: string, version?: number): Promise<TargetRecord[]> {
  const res = await pool.query<{
    model: string;
    version: number;
    target: DeployTarget;
    bundle_uri: string | null;
    bundle_sha256: string | null;
    costs: TargetCostsResult;
    blessed: boolean;
    reasons: string[];
    measured_at: Date;
  }>(
    `SELECT model, version, target, bundle_uri, bundle_sha256, costs, blessed, reasons, measured_at FROM model_targets
      WHERE model = $1 AND ($2::int IS NULL OR version = $2)
      ORDER BY version, array_position(ARRAY['server', 'edge', 'browser'], target)`,
    [model, version ?? null],
  );
  return res.rows.map((r) => ({
    model: r.model,
    version: r.version,
    target: r.target,
    bundle: r.bundle_uri ? { uri: r.bundle_uri, sha256: r.bundle_sha256! } : null,
    costs: r.costs,
    blessed: r.blessed,
    reasons: r.reasons,
    measuredAt: r.measured_at,
  }));
}
