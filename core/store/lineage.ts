// Lineage in the ML-Metadata model over Postgres. Every write is keyed by a natural key (artifact URI,
// execution key, context type+name), so a stage that Temporal retries finds its rows instead of adding more.
import type pg from 'pg';

export type ContextType = 'pipeline_run' | 'experiment' | 'model';

export interface ArtifactInput {
  uri: string;
  sha256: string;
  type: string;
  properties?: Record<string, unknown>;
}

export interface StageRecord {
  /** Idempotency key, e.g. `<workflowId>/<runId>/<stage>`. */
  key: string;
  stage: string;
  params?: Record<string, unknown>;
  codeVersion: string;
  contexts?: { type: ContextType; name: string; properties?: Record<string, unknown> }[];
  inputs?: ArtifactInput[];
  outputs?: ArtifactInput[];
  status?: 'running' | 'complete' | 'failed';
  error?: string;
}

export interface LineageArtifact {
  id: number;
  uri: string;
  sha256: string;
  type: string;
  properties: Record<string, unknown>;
  createdAt: Date;
}

export interface LineageExecution {
  id: number;
  key: string;
  stage: string;
  status: string;
  params: Record<string, unknown>;
  codeVersion: string;
  startedAt: Date;
  endedAt: Date | null;
  inputs: string[];
  outputs: string[];
}

export interface LineageGraph {
  artifacts: LineageArtifact[];
  executions: LineageExecution[];
}

export class LineageError extends Error {
  override name = 'LineageError';
}

type Queryable = Pick<pg.PoolClient, 'query'>;

async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

export { inTransaction };

/** Upserts an artifact by URI; the same URI with a different sha256 is refused (artifacts are immutable). */
export async function putArtifact(db: Queryable, a: ArtifactInput): Promise<number> {
  if (!/^[0-9a-f]{64}$/.test(a.sha256)) throw new LineageError(`artifact ${a.uri}: sha256 ${JSON.stringify(a.sha256)} is not 64 hex digits`);
  const res = await db.query<{ id: string; sha256: string }>(
    `INSERT INTO artifacts (uri, sha256, type, properties) VALUES ($1, $2, $3, $4)
     ON CONFLICT (uri) DO UPDATE SET uri = EXCLUDED.uri
     RETURNING id, sha256`,
    [a.uri, a.sha256, a.type, JSON.stringify(a.properties ?? {})],
  );
  const row = res.rows[0]!;
  if (row.sha256 !== a.sha256) {
    throw new LineageError(`artifact ${a.uri} is recorded with sha256 ${row.sha256}, not ${a.sha256}; artifacts are immutable`);
  }
  return Number(row.id);
}

export async function putContext(db: Queryable, type: ContextType, name: string, properties: Record<string, unknown> = {}): Promise<number> {
  const res = await db.query<{ id: string }>(
    `INSERT INTO contexts (type, name, properties) VALUES ($1, $2, $3)
     ON CONFLICT (type, name) DO UPDATE SET properties = contexts.properties || EXCLUDED.properties
     RETURNING id`,
    [type, name, JSON.stringify(properties)],
  );
  return Number(res.rows[0]!.id);
}

export class LineageStore {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * Records one stage run with its inputs, outputs and contexts, in one transaction. Calling it again
   * with the same key (a retry) updates status and adds missing links, never duplicates.
   */
  async recordStage(r: StageRecord): Promise<{ executionId: number; artifactIds: Record<string, number> }> {
    const status = r.status ?? 'complete';
    return inTransaction(this.pool, async (db) => {
      const exec = await db.query<{ id: string }>(
        `INSERT INTO executions (key, stage, status, params, code_version, error, ended_at)
         VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $3 = 'running' THEN NULL ELSE now() END)
         ON CONFLICT (key) DO UPDATE SET
           status = CASE WHEN executions.status = 'complete' THEN 'complete' ELSE EXCLUDED.status END,
           error = CASE WHEN executions.status = 'complete' THEN executions.error ELSE EXCLUDED.error END,
           ended_at = COALESCE(executions.ended_at, EXCLUDED.ended_at)
         RETURNING id`,
        [r.key, r.stage, status, JSON.stringify(r.params ?? {}), r.codeVersion, r.error ?? null],
      );
      const executionId = Number(exec.rows[0]!.id);
      const artifactIds: Record<string, number> = {};
      for (const [type, list] of [
        ['input', r.inputs ?? []],
        ['output', r.outputs ?? []],
      ] as const) {
        for (const a of list) {
          const id = await putArtifact(db, a);
          artifactIds[a.uri] = id;
          await db.query('INSERT INTO events (execution_id, artifact_id, type) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [executionId, id, type]);
        }
      }
      for (const c of r.contexts ?? []) {
        const contextId = await putContext(db, c.type, c.name, c.properties);
        await db.query('INSERT INTO associations (context_id, execution_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [contextId, executionId]);
        for (const id of Object.values(artifactIds)) {
          await db.query('INSERT INTO attributions (context_id, artifact_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [contextId, id]);
        }
      }
      return { executionId, artifactIds };
    });
  }

  async putArtifact(a: ArtifactInput): Promise<number> {
    return putArtifact(this.pool, a);
  }

  async artifactByUri(uri: string): Promise<LineageArtifact | undefined> {
    const res = await this.pool.query(`SELECT ${ARTIFACT_COLUMNS} FROM artifacts WHERE uri = $1`, [uri]);
    return res.rows[0] ? toArtifact(res.rows[0]) : undefined;
  }

  /** Everything upstream of an artifact: the executions that produced it, their inputs, and so on back. */
  async upstream(artifactId: number): Promise<LineageGraph> {
    return this.walk(artifactId, 'output', 'input');
  }

  /**
   * The lineage of a model: every execution of the pipeline run that produced it (in order, the stages
   * that did not feed it directly included), with their inputs and outputs. Shared artifacts (the same
   * content-addressed dataset ingested by many runs) do not pull in other runs.
   */
  async producingRun(artifactId: number): Promise<(LineageGraph & { run: string }) | undefined> {
    const res = await this.pool.query<{ run: string; id: string }>(
      `SELECT c.name AS run, ev.execution_id AS id FROM events ev
         JOIN associations a ON a.execution_id = ev.execution_id
         JOIN contexts c ON c.id = a.context_id AND c.type = 'pipeline_run'
        WHERE ev.artifact_id = $1 AND ev.type = 'output'
        ORDER BY ev.execution_id LIMIT 1`,
      [artifactId],
    );
    const row = res.rows[0];
    if (!row) return undefined;
    const ids = await this.pool.query<{ id: string }>(
      `SELECT x.id FROM executions x JOIN associations a ON a.execution_id = x.id JOIN contexts c ON c.id = a.context_id
        WHERE c.type = 'pipeline_run' AND c.name = $1 AND x.id <= $2 ORDER BY x.id`,
      [row.run, row.id],
    );
    const executions = await this.executions(ids.rows.map((r) => Number(r.id)));
    const uris = [...new Set(executions.flatMap((e) => [...e.inputs, ...e.outputs]))];
    const arts = await this.pool.query(`SELECT ${ARTIFACT_COLUMNS} FROM artifacts WHERE uri = ANY($1::text[]) ORDER BY id`, [uris]);
    return { run: row.run, executions, artifacts: arts.rows.map(toArtifact) };
  }

  /** Everything downstream of an artifact: the executions that used it, their outputs, and so on forward. */
  async downstream(artifactId: number): Promise<LineageGraph> {
    return this.walk(artifactId, 'input', 'output');
  }

  /**
   * The newest execution of `stage` for a model (optionally within one pipeline run, given by workflow id
   * or workflow-id/run-id), with its outputs.
   */
  async latestExecution(model: string, stage: string, run?: string): Promise<LineageExecution | undefined> {
    const res = await this.pool.query<{ id: string }>(
      `SELECT x.id FROM executions x
         JOIN associations am ON am.execution_id = x.id
         JOIN contexts m ON m.id = am.context_id AND m.type = 'model' AND m.name = $1
        WHERE x.stage = $2 AND x.status = 'complete'
          AND ($3::text IS NULL OR EXISTS (
                SELECT 1 FROM associations ar JOIN contexts r ON r.id = ar.context_id AND r.type = 'pipeline_run'
                 WHERE ar.execution_id = x.id AND (r.name = $3 OR r.name LIKE replace(replace($3, '%', '\\%'), '_', '\\_') || '/%')))
        ORDER BY x.started_at DESC, x.id DESC LIMIT 1`,
      [model, stage, run ?? null],
    );
    const id = res.rows[0]?.id;
    return id === undefined ? undefined : (await this.executions([Number(id)]))[0];
  }

  /** Completed executions of `stage` for a model, newest first, each with its pipeline run. */
  async stageRuns(model: string, stage: string, limit = 50): Promise<(LineageExecution & { run: string })[]> {
    const res = await this.pool.query<{ id: string; run: string }>(
      `SELECT x.id, r.name AS run FROM executions x
         JOIN associations am ON am.execution_id = x.id
         JOIN contexts m ON m.id = am.context_id AND m.type = 'model' AND m.name = $1
         JOIN associations ar ON ar.execution_id = x.id
         JOIN contexts r ON r.id = ar.context_id AND r.type = 'pipeline_run'
        WHERE x.stage = $2 AND x.status = 'complete'
        ORDER BY x.started_at DESC, x.id DESC LIMIT $3`,
      [model, stage, limit],
    );
    const runs = new Map(res.rows.map((r) => [Number(r.id), r.run]));
    const executions = await this.executions([...runs.keys()]);
    return executions.map((e) => ({ ...e, run: runs.get(e.id)! })).sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime() || b.id - a.id);
  }

  /**
   * URIs some row still needs (for garbage collection): every lineage artifact, plus objects rows point to
   * outside lineage — a model version's training reference (the drift monitor reads it) and evaluation report, and drift reports.
   */
  async referencedUris(): Promise<Set<string>> {
    const res = await this.pool.query<{ uri: string }>(
      `SELECT uri FROM artifacts
       UNION SELECT properties->>'referenceUri' FROM model_versions WHERE properties ? 'referenceUri'
       UNION SELECT properties->>'evaluationUri' FROM model_versions WHERE properties ? 'evaluationUri'
       UNION SELECT report_uri FROM drift_reports`,
    );
    return new Set(res.rows.map((r) => r.uri));
  }

  // `via` is the event type linking an artifact to the execution we step to; `next` links that
  // execution to the artifacts we step to after it.
  private async walk(artifactId: number, via: 'input' | 'output', next: 'input' | 'output'): Promise<LineageGraph> {
    const res = await this.pool.query<{ execution_id: string }>(
      `WITH RECURSIVE reach(artifact_id, execution_id) AS (
         SELECT e.artifact_id, e.execution_id FROM events e WHERE e.artifact_id = $1 AND e.type = $2
         UNION
         SELECT n.artifact_id, e2.execution_id
           FROM reach r
           JOIN events n ON n.execution_id = r.execution_id AND n.type = $3
           JOIN events e2 ON e2.artifact_id = n.artifact_id AND e2.type = $2
       )
       SELECT DISTINCT execution_id FROM reach`,
      [artifactId, via, next],
    );
    const executionIds = res.rows.map((r) => Number(r.execution_id));
    const executions = await this.executions(executionIds);
    const artifactIds = new Set<number>([artifactId]);
    const uris = new Set<string>();
    for (const e of executions) for (const u of [...e.inputs, ...e.outputs]) uris.add(u);
    const arts = await this.pool.query(`SELECT ${ARTIFACT_COLUMNS} FROM artifacts WHERE id = ANY($1::bigint[]) OR uri = ANY($2::text[]) ORDER BY id`, [
      [...artifactIds],
      [...uris],
    ]);
    return { artifacts: arts.rows.map(toArtifact), executions };
  }

  private async executions(ids: number[]): Promise<LineageExecution[]> {
    if (ids.length === 0) return [];
    const res = await this.pool.query(
      `SELECT x.id, x.key, x.stage, x.status, x.params, x.code_version, x.started_at, x.ended_at,
              COALESCE(array_agg(a.uri ORDER BY a.id) FILTER (WHERE ev.type = 'input'), '{}') AS inputs,
              COALESCE(array_agg(a.uri ORDER BY a.id) FILTER (WHERE ev.type = 'output'), '{}') AS outputs
         FROM executions x
         LEFT JOIN events ev ON ev.execution_id = x.id
         LEFT JOIN artifacts a ON a.id = ev.artifact_id
        WHERE x.id = ANY($1::bigint[])
        GROUP BY x.id
        ORDER BY x.started_at, x.id`,
      [ids],
    );
    return res.rows.map((r) => ({
      id: Number(r.id),
      key: r.key,
      stage: r.stage,
      status: r.status,
      params: r.params,
      codeVersion: r.code_version,
      startedAt: r.started_at,
      endedAt: r.ended_at,
      inputs: r.inputs,
      outputs: r.outputs,
    }));
  }
}

const ARTIFACT_COLUMNS = 'id, uri, sha256, type, properties, created_at';

function toArtifact(r: Record<string, unknown>): LineageArtifact {
  return {
    id: Number(r.id),
    uri: r.uri as string,
    sha256: r.sha256 as string,
    type: r.type as string,
    properties: r.properties as Record<string, unknown>,
    createdAt: r.created_at as Date,
  };
}
