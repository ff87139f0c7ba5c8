// Accepted dataset schemas per model (versioned). The JSON lives in the artifact store; Postgres records
// which artifact is each version, so every accepted schema is in lineage.
import type pg from 'pg';
import { inTransaction, putArtifact, type ArtifactInput } from './lineage';
import { assertModelName } from './registry';

export interface AcceptedSchema {
  model: string;
  version: number;
  uri: string;
  sha256: string;
  acceptedBy: string;
  reason: string;
  createdAt: Date;
}

const SELECT = `SELECT s.model, s.version, a.uri, a.sha256, s.accepted_by, s.reason, s.created_at
  FROM dataset_schemas s JOIN artifacts a ON a.id = s.artifact_id`;

function toSchema(r: Record<string, unknown>): AcceptedSchema {
  return {
    model: r.model as string,
    version: r.version as number,
    uri: r.uri as string,
    sha256: r.sha256 as string,
    acceptedBy: r.accepted_by as string,
    reason: r.reason as string,
    createdAt: r.created_at as Date,
  };
}

export class SchemaStore {
  constructor(private readonly pool: pg.Pool) {}

  async current(model: string): Promise<AcceptedSchema | undefined> {
    const res = await this.pool.query(`${SELECT} WHERE s.model = $1 ORDER BY s.version DESC LIMIT 1`, [assertModelName(model)]);
    return res.rows[0] ? toSchema(res.rows[0]) : undefined;
  }

  async list(model: string): Promise<AcceptedSchema[]> {
    const res = await this.pool.query(`${SELECT} WHERE s.model = $1 ORDER BY s.version`, [assertModelName(model)]);
    return res.rows.map(toSchema);
  }

  /**
   * Makes `artifact` the model's schema. Accepting the schema that is already current is a no-op, so a
   * retried stage never adds a version. `onlyIfNone` accepts only when the model has no schema yet.
   */
  async accept(model: string, artifact: ArtifactInput, acceptedBy: string, reason: string, opts: { onlyIfNone?: boolean } = {}): Promise<AcceptedSchema> {
    assertModelName(model);
    return inTransaction(this.pool, async (db) => {
      await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`mlops-schema:${model}`]);
      const cur = await db.query(`${SELECT} WHERE s.model = $1 ORDER BY s.version DESC LIMIT 1`, [model]);
      const current = cur.rows[0] ? toSchema(cur.rows[0]) : undefined;
      if (current && (current.sha256 === artifact.sha256 || opts.onlyIfNone)) return current;
      const artifactId = await putArtifact(db, artifact);
      const version = (current?.version ?? 0) + 1;
      await db.query('INSERT INTO dataset_schemas (model, version, artifact_id, accepted_by, reason) VALUES ($1, $2, $3, $4, $5)', [
        model,
        version,
        artifactId,
        acceptedBy,
        reason,
      ]);
      const made = await db.query(`${SELECT} WHERE s.model = $1 AND s.version = $2`, [model, version]);
      return toSchema(made.rows[0]);
    });
  }
}
