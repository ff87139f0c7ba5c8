// Feature-set versions in Postgres. `applyFeatureSet` is idempotent: the definition equal (canonically) to
// the latest version returns that version; any other gets the next number. The canonical JSON is stored
// content-addressed in the artifact store and recorded as a lineage artifact of type FeatureSet.
import type pg from 'pg';
import type { ArtifactStore } from '../store/artifacts';
import { inTransaction, putArtifact } from '../store/lineage';
import { assertFeatureSetName, canonicalDefinition, definitionSha256, FeatureSetError, parseFeatureSet, type FeatureSetDefinition } from './definition';

export interface FeatureSetVersion {
  name: string;
  version: number;
  definition: FeatureSetDefinition;
  sha256: string;
  /** The canonical definition JSON in the artifact store. */
  uri: string;
  createdAt: Date;
}

export interface FeatureSetSummary {
  name: string;
  version: number;
  sha256: string;
  createdAt: Date;
  /** Event time up to which rows are materialized (ISO, microseconds), or null before the first run. */
  watermark: string | null;
  parts: number;
  rows: number;
}

export const ISO_US = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`;

function toVersion(r: Record<string, unknown>): FeatureSetVersion {
  return {
    name: r.name as string,
    version: Number(r.version),
    definition: r.definition as FeatureSetDefinition,
    sha256: r.sha256 as string,
    uri: r.uri as string,
    createdAt: r.created_at as Date,
  };
}

/** Registers a definition (raw JSON or parsed); returns its version and whether this call created it. */
export async function applyFeatureSet(deps: { pool: pg.Pool; artifacts: ArtifactStore }, raw: unknown): Promise<{ set: FeatureSetVersion; created: boolean }> {
  const definition = parseFeatureSet(raw);
  const sha256 = definitionSha256(definition);
  // Content-addressed, so storing it before the transaction is harmless if the transaction fails.
  const ref = await deps.artifacts.putBuffer(`featuresets/${definition.name}/${sha256}.json`, Buffer.from(canonicalDefinition(definition)), 'application/json');
  return inTransaction(deps.pool, async (db) => {
    // Serializes applies of one name, so two equal applies racing get one version.
    await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`mlops-feature-set:${definition.name}`]);
    const latest = await db.query('SELECT * FROM feature_sets WHERE name = $1 ORDER BY version DESC LIMIT 1', [definition.name]);
    const last = latest.rows[0] ? toVersion(latest.rows[0]) : undefined;
    if (last && last.sha256 === sha256) return { set: last, created: false };
    await putArtifact(db, { uri: ref.uri, sha256: ref.sha256, type: 'FeatureSet', properties: { name: definition.name } });
    const res = await db.query(`INSERT INTO feature_sets (name, version, definition, sha256, uri) VALUES ($1, $2, $3, $4, $5) RETURNING *`, [
      definition.name,
      (last?.version ?? 0) + 1,
      JSON.stringify(definition),
      sha256,
      ref.uri,
    ]);
    return { set: toVersion(res.rows[0]), created: true };
  });
}

/** One version of a set (default: the latest), or undefined. */
export async function getFeatureSet(pool: Pick<pg.Pool, 'query'>, name: string, version?: number): Promise<FeatureSetVersion | undefined> {
  assertFeatureSetName(name);
  const res = await pool.query('SELECT * FROM feature_sets WHERE name = $1 AND ($2::int IS NULL OR version = $2) ORDER BY version DESC LIMIT 1', [
    name,
    version ?? null,
  ]);
  return res.rows[0] ? toVersion(res.rows[0]) : undefined;
}

/** Like getFeatureSet, but an unknown set or version is an error that says what exists. */
export async function requireFeatureSet(pool: Pick<pg.Pool, 'query'>, name: string, version?: number): Promise<FeatureSetVersion> {
  const set = await getFeatureSet(pool, name, version);
  if (set) return set;
  const versions = await pool.query<{ version: number }>('SELECT version FROM feature_sets WHERE name = $1 ORDER BY version', [name]);
  if (versions.rows.length === 0)
    throw new FeatureSetError(`feature set ${JSON.stringify(name)} is not registered; register it with \`mlops features apply FILE\``);
  throw new FeatureSetError(`feature set ${name} has no version ${version} (versions: ${versions.rows.map((r) => r.version).join(', ')})`);
}

/** Every registered version, with how much of it is materialized. */
export async function listFeatureSets(pool: Pick<pg.Pool, 'query'>): Promise<FeatureSetSummary[]> {
  const res = await pool.query(
    `SELECT s.name, s.version, s.sha256, s.created_at, to_char(w.watermark AT TIME ZONE 'UTC', ${ISO_US}) AS watermark,
            count(m.id)::int AS parts, COALESCE(sum(m.rows), 0)::bigint AS rows
       FROM feature_sets s
       LEFT JOIN feature_watermarks w ON w.set_name = s.name AND w.version = s.version
       LEFT JOIN feature_materializations m ON m.set_name = s.name AND m.version = s.version
      GROUP BY s.name, s.version, s.sha256, s.created_at, w.watermark
      ORDER BY s.name, s.version`,
  );
  return res.rows.map((r) => ({
    name: r.name,
    version: Number(r.version),
    sha256: r.sha256,
    createdAt: r.created_at,
    watermark: r.watermark,
    parts: Number(r.parts),
    rows: Number(r.rows),
  }));
}
