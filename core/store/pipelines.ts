// Pipeline versions (level 2) in Postgres: one row per built git commit with its test, replay and
// integration results, and the append-only promotions whose latest row is the current version.
import type pg from 'pg';

export type PipelineStatus = 'testing' | 'rejected' | 'passed' | 'promoted';

export interface PipelineVersion {
  buildId: string;
  ref: string;
  status: PipelineStatus;
  unitPassed: number | null;
  unitFailed: number | null;
  replay: { replayed: number; failures: { workflowId: string; type: string; message: string }[] } | null;
  integrationRun: string | null;
  reasons: string[];
  cicdRun: string;
  createdAt: Date;
  updatedAt: Date;
  promotedAt: Date | null;
  promotedBy: string | null;
  current: boolean;
}

export interface Promotion {
  buildId: string;
  previous: string | null;
  actor: string;
  reason: string;
  at: Date;
}

export class PipelineVersions {
  constructor(private readonly pool: pg.Pool) {}

  /** Records a version under test (again, when a CI/CD run of the same commit repeats). */
  async begin(input: { buildId: string; ref: string; cicdRun: string }): Promise<void> {
    await this.pool.query(
      `INSERT INTO pipeline_versions (build_id, ref, status, cicd_run) VALUES ($1, $2, 'testing', $3)
       ON CONFLICT (build_id) DO UPDATE SET ref = EXCLUDED.ref, cicd_run = EXCLUDED.cicd_run, updated_at = now(),
         status = CASE WHEN pipeline_versions.status = 'promoted' THEN 'promoted' ELSE 'testing' END`,
      [input.buildId, input.ref, input.cicdRun],
    );
  }

  async update(
    buildId: string,
    fields: {
      status?: PipelineStatus;
      unitPassed?: number;
      unitFailed?: number;
      replay?: PipelineVersion['replay'];
      integrationRun?: string;
      reasons?: string[];
    },
  ): Promise<void> {
    await this.pool.query(
      `UPDATE pipeline_versions SET status = COALESCE($2, status), unit_passed = COALESCE($3, unit_passed), unit_failed = COALESCE($4, unit_failed),
         replay = COALESCE($5, replay), integration_run = COALESCE($6, integration_run), reasons = COALESCE($7, reasons), updated_at = now()
       WHERE build_id = $1`,
      [
        buildId,
        fields.status ?? null,
        fields.unitPassed ?? null,
        fields.unitFailed ?? null,
        fields.replay ? JSON.stringify(fields.replay) : null,
        fields.integrationRun ?? null,
        fields.reasons ? JSON.stringify(fields.reasons) : null,
      ],
    );
  }

  /** Makes `buildId` current; a no-op when it already is (a retried promotion records one row). */
  async promote(buildId: string, actor: string, reason: string): Promise<Promotion | undefined> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('LOCK TABLE pipeline_promotions IN EXCLUSIVE MODE');
      const current = (await client.query<{ build_id: string }>('SELECT build_id FROM pipeline_promotions ORDER BY id DESC LIMIT 1')).rows[0]?.build_id ?? null;
      if (current === buildId) {
        await client.query('COMMIT');
        return undefined;
      }
      const res = await client.query(
        `INSERT INTO pipeline_promotions (build_id, previous, actor, reason) VALUES ($1, $2, $3, $4) RETURNING build_id, previous, actor, reason, at`,
        [buildId, current, actor, reason],
      );
      await client.query(`UPDATE pipeline_versions SET status = 'promoted', updated_at = now() WHERE build_id = $1`, [buildId]);
      await client.query('COMMIT');
      const r = res.rows[0];
      return { buildId: r.build_id, previous: r.previous, actor: r.actor, reason: r.reason, at: r.at };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async current(): Promise<string | null> {
    return (await this.pool.query<{ build_id: string }>('SELECT build_id FROM pipeline_promotions ORDER BY id DESC LIMIT 1')).rows[0]?.build_id ?? null;
  }

  async promotions(): Promise<Promotion[]> {
    const res = await this.pool.query('SELECT build_id, previous, actor, reason, at FROM pipeline_promotions ORDER BY id');
    return res.rows.map((r) => ({ buildId: r.build_id, previous: r.previous, actor: r.actor, reason: r.reason, at: r.at }));
  }

  async get(buildId: string): Promise<PipelineVersion | undefined> {
    return (await this.list()).find((v) => v.buildId === buildId);
  }

  /** Every version, newest first, with when (and by whom) it was last promoted. */
  async list(): Promise<PipelineVersion[]> {
    const current = await this.current();
    const res = await this.pool.query(
      `SELECT v.*, p.at AS promoted_at, p.actor AS promoted_by FROM pipeline_versions v
         LEFT JOIN LATERAL (SELECT at, actor FROM pipeline_promotions WHERE build_id = v.build_id ORDER BY id DESC LIMIT 1) p ON true
        ORDER BY v.created_at DESC`,
    );
    return res.rows.map((r) => ({
      buildId: r.build_id,
      ref: r.ref,
      status: r.status,
      unitPassed: r.unit_passed,
      unitFailed: r.unit_failed,
      replay: r.replay,
      integrationRun: r.integration_run,
      reasons: r.reasons,
      cicdRun: r.cicd_run,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      promotedAt: r.promoted_at,
      promotedBy: r.promoted_by,
      current: r.build_id === current,
    }));
  }
}
