// The model registry over Postgres: models, versions numbered 1, 2, … per model, aliases, and the
// append-only alias history. Every alias move fires NOTIFY mlops_alias (a trigger, so no path can skip it).
import { InvalidInput } from '../errors';
import pg from 'pg';
import { inTransaction, putArtifact, type ArtifactInput } from './lineage';

export interface ModelVersion {
  model: string;
  version: number;
  uri: string;
  sha256: string;
  signature: Record<string, unknown>;
  metrics: Record<string, unknown>;
  properties: Record<string, unknown>;
  runKey: string;
  createdAt: Date;
}

export interface AliasMove {
  model: string;
  alias: string;
  fromVersion: number | null;
  toVersion: number | null;
  actor: string;
  reason: string;
  details: Record<string, unknown>;
  at: Date;
}

export interface ModelSummary {
  name: string;
  latestVersion: number | null;
  aliases: Record<string, number>;
  createdAt: Date;
}

export interface AliasNotification {
  schema: string;
  model: string;
  alias: string;
  from: number | null;
  to: number | null;
}

export class RegistryError extends InvalidInput {
  override name = 'RegistryError';
  constructor(message: string) {
    super(message, 'request');
  }
}

/** An alias moved by someone else between reading it and moving it. */
export class AliasConflictError extends RegistryError {
  override name = 'AliasConflictError';
}

export function assertModelName(name: string): string {
  if (typeof name !== 'string' || !/^[a-z0-9][a-z0-9_.-]{0,62}$/.test(name)) {
    throw new RegistryError(`model name ${JSON.stringify(name)} must be 1-63 of a-z 0-9 _ . - starting with a letter or digit`);
  }
  return name;
}

export function assertAlias(alias: string): string {
  if (typeof alias !== 'string' || !/^[a-z][a-z0-9_-]{0,62}$/.test(alias)) {
    throw new RegistryError(`alias ${JSON.stringify(alias)} must be 1-63 of a-z 0-9 _ - starting with a letter`);
  }
  return alias;
}

export class ModelRegistry {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * Registers a new version (max + 1) of `model`. `runKey` identifies the registering run: calling again
   * with the same key (a retry) returns the version made the first time.
   */
  async registerVersion(input: {
    model: string;
    /** The artifact, or a function of the new version number (for keys like models/<name>/<version>/…). */
    artifact: ArtifactInput | ((version: number) => ArtifactInput);
    runKey: string;
    signature?: Record<string, unknown>;
    metrics?: Record<string, unknown>;
    properties?: Record<string, unknown>;
  }): Promise<ModelVersion> {
    assertModelName(input.model);
    return inTransaction(this.pool, async (db) => {
      await db.query('INSERT INTO registered_models (name) VALUES ($1) ON CONFLICT DO NOTHING', [input.model]);
      // Serializes version numbering per model.
      await db.query('SELECT name FROM registered_models WHERE name = $1 FOR UPDATE', [input.model]);
      const existing = await db.query(`${VERSION_SELECT} WHERE v.model = $1 AND v.run_key = $2`, [input.model, input.runKey]);
      if (existing.rows[0]) return toVersion(existing.rows[0]);
      const next = await db.query<{ v: number }>('SELECT COALESCE(MAX(version), 0) + 1 AS v FROM model_versions WHERE model = $1', [input.model]);
      const version = next.rows[0]!.v;
      const artifactId = await putArtifact(db, typeof input.artifact === 'function' ? input.artifact(version) : input.artifact);
      const res = await db.query<{ version: number }>(
        `INSERT INTO model_versions (model, version, artifact_id, signature, metrics, properties, run_key)
         VALUES ($1, $7, $2, $3, $4, $5, $6)
         RETURNING version`,
        [
          input.model,
          artifactId,
          JSON.stringify(input.signature ?? {}),
          JSON.stringify(input.metrics ?? {}),
          JSON.stringify(input.properties ?? {}),
          input.runKey,
          version,
        ],
      );
      const made = await db.query(`${VERSION_SELECT} WHERE v.model = $1 AND v.version = $2`, [input.model, res.rows[0]!.version]);
      return toVersion(made.rows[0]);
    });
  }

  async getVersion(model: string, version: number): Promise<ModelVersion | undefined> {
    const res = await this.pool.query(`${VERSION_SELECT} WHERE v.model = $1 AND v.version = $2`, [assertModelName(model), version]);
    return res.rows[0] ? toVersion(res.rows[0]) : undefined;
  }

  async listVersions(model: string): Promise<ModelVersion[]> {
    const res = await this.pool.query(`${VERSION_SELECT} WHERE v.model = $1 ORDER BY v.version`, [assertModelName(model)]);
    return res.rows.map(toVersion);
  }

  /** The version an alias points to, or undefined. */
  async getAlias(model: string, alias: string): Promise<number | undefined> {
    const res = await this.pool.query<{ version: number }>('SELECT version FROM model_aliases WHERE model = $1 AND alias = $2', [
      assertModelName(model),
      assertAlias(alias),
    ]);
    return res.rows[0]?.version;
  }

  /**
   * Points `alias` at `version` (or removes it when version is null) and appends the move to the history.
   * Moving an alias to where it already points is a no-op, so a retried deploy records one move.
   */
  async setAlias(input: {
    model: string;
    alias: string;
    version: number | null;
    actor: string;
    reason: string;
    details?: Record<string, unknown>;
    /** Compare-and-set: move only if the alias still points here (null = unset); else RegistryError. */
    expectedFrom?: number | null;
  }): Promise<AliasMove | undefined> {
    assertModelName(input.model);
    assertAlias(input.alias);
    if (!input.actor || !input.reason) throw new RegistryError('an alias move needs an actor and a reason');
    return inTransaction(this.pool, async (db) => {
      const model = await db.query('SELECT name FROM registered_models WHERE name = $1 FOR UPDATE', [input.model]);
      if (model.rowCount === 0) throw new RegistryError(`model ${input.model} is not registered`);
      if (input.version !== null) {
        const v = await db.query('SELECT 1 FROM model_versions WHERE model = $1 AND version = $2', [input.model, input.version]);
        if (v.rowCount === 0) throw new RegistryError(`model ${input.model} has no version ${input.version}`);
      }
      const current = await db.query<{ version: number }>('SELECT version FROM model_aliases WHERE model = $1 AND alias = $2', [input.model, input.alias]);
      const from = current.rows[0]?.version ?? null;
      if (from === input.version) return undefined;
      if (input.expectedFrom !== undefined && from !== input.expectedFrom) {
        throw new AliasConflictError(
          `${input.model}@${input.alias} points to ${from ?? 'nothing'}, not ${input.expectedFrom ?? 'nothing'} as this move expected: another run moved it`,
        );
      }
      if (input.version === null) {
        await db.query('DELETE FROM model_aliases WHERE model = $1 AND alias = $2', [input.model, input.alias]);
      } else {
        await db.query(
          `INSERT INTO model_aliases (model, alias, version) VALUES ($1, $2, $3)
           ON CONFLICT (model, alias) DO UPDATE SET version = EXCLUDED.version, updated_at = now()`,
          [input.model, input.alias, input.version],
        );
      }
      const res = await db.query(
        `INSERT INTO alias_history (model, alias, from_version, to_version, actor, reason, details)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
        [input.model, input.alias, from, input.version, input.actor, input.reason, JSON.stringify(input.details ?? {})],
      );
      return toMove(res.rows[0]);
    });
  }

  async aliasHistory(model: string, alias?: string): Promise<AliasMove[]> {
    const res = await this.pool.query(`SELECT * FROM alias_history WHERE model = $1 AND ($2::text IS NULL OR alias = $2) ORDER BY id`, [
      assertModelName(model),
      alias === undefined ? null : assertAlias(alias),
    ]);
    return res.rows.map(toMove);
  }

  /** Which version `alias` pointed to at time `at` (from the history). */
  async aliasAt(model: string, alias: string, at: Date): Promise<number | null> {
    const res = await this.pool.query<{ to_version: number | null }>(
      'SELECT to_version FROM alias_history WHERE model = $1 AND alias = $2 AND at <= $3 ORDER BY id DESC LIMIT 1',
      [assertModelName(model), assertAlias(alias), at],
    );
    return res.rows[0]?.to_version ?? null;
  }

  async listModels(): Promise<ModelSummary[]> {
    const res = await this.pool.query(
      `SELECT m.name, m.created_at,
              (SELECT MAX(version) FROM model_versions v WHERE v.model = m.name) AS latest,
              COALESCE((SELECT jsonb_object_agg(alias, version) FROM model_aliases a WHERE a.model = m.name), '{}') AS aliases
         FROM registered_models m ORDER BY m.name`,
    );
    return res.rows.map((r) => ({ name: r.name, latestVersion: r.latest, aliases: r.aliases, createdAt: r.created_at }));
  }
}

/**
 * Listens for alias moves on a dedicated connection. Returns a function that stops listening.
 * Notifications from other schemas (other test files, other deployments) are filtered out.
 * A lost connection (Postgres restarted) is re-established every `retryMs` until it succeeds; moves made
 * meanwhile sent no notification to this listener, so `onReconnect` tells the caller to re-read the aliases.
 */
export async function listenAliasChanges(
  connectionString: string,
  schema: string,
  onChange: (n: AliasNotification) => void,
  opts: { onReconnect?: () => void; retryMs?: number } = {},
): Promise<() => Promise<void>> {
  let stopped = false;
  let client: pg.Client | undefined;
  let timer: NodeJS.Timeout | undefined;
  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString });
    c.on('error', () => undefined);
    c.on('notification', (msg) => {
      if (msg.channel !== 'mlops_alias' || !msg.payload) return;
      const n = JSON.parse(msg.payload) as AliasNotification;
      if (n.schema === schema) onChange(n);
    });
    try {
      await c.connect();
      await c.query('LISTEN mlops_alias');
    } catch (err) {
      await c.end().catch(() => undefined);
      throw err;
    }
    c.once('end', () => {
      if (!stopped) reconnect();
    });
    client = c;
  };
  const reconnect = (): void => {
    timer = setTimeout(() => {
      connect().then(
        () => (stopped ? void client?.end().catch(() => undefined) : opts.onReconnect?.()),
        () => !stopped && reconnect(),
      );
    }, opts.retryMs ?? 1_000);
  };
  await connect();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await client?.end().catch(() => undefined);
  };
}

const VERSION_SELECT = `SELECT v.model, v.version, a.uri, a.sha256, v.signature, v.metrics, v.properties, v.run_key, v.created_at
  FROM model_versions v JOIN artifacts a ON a.id = v.artifact_id`;

function toVersion(r: Record<string, unknown>): ModelVersion {
  return {
    model: r.model as string,
    version: r.version as number,
    uri: r.uri as string,
    sha256: r.sha256 as string,
    signature: r.signature as Record<string, unknown>,
    metrics: r.metrics as Record<string, unknown>,
    properties: r.properties as Record<string, unknown>,
    runKey: r.run_key as string,
    createdAt: r.created_at as Date,
  };
}

function toMove(r: Record<string, unknown>): AliasMove {
  return {
    model: r.model as string,
    alias: r.alias as string,
    fromVersion: r.from_version as number | null,
    toVersion: r.to_version as number | null,
    actor: r.actor as string,
    reason: r.reason as string,
    details: r.details as Record<string, unknown>,
    at: r.at as Date,
  };
}
