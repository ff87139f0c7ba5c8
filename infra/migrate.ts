// Versioned SQL migrations: infra/migrations/NNN_name.sql, each applied once, in its own transaction,
// recorded in schema_migrations. An advisory lock keeps two concurrent `mlops up` from racing.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { assertSchemaName } from '../core/store/db';
import { projectRoot } from './paths';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function migrationsDir(): string {
  return path.join(projectRoot(), 'infra', 'migrations');
}

export function loadMigrations(dir = migrationsDir()): Migration[] {
  const out: Migration[] = [];
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('.sql')) continue;
    const m = /^(\d{3})_([a-z0-9_]+)\.sql$/.exec(file);
    if (!m) throw new Error(`${path.join(dir, file)}: migration files are named NNN_name.sql`);
    const version = Number(m[1]);
    if (out.some((x) => x.version === version)) throw new Error(`${dir}: two migrations numbered ${m[1]}`);
    out.push({ version, name: m[2]!, sql: readFileSync(path.join(dir, file), 'utf8') });
  }
  return out;
}

/** Applies pending migrations to `schema`; returns the versions applied now. */
export async function migrate(pool: pg.Pool, schema: string, migrations = loadMigrations()): Promise<number[]> {
  assertSchemaName(schema);
  const client = await pool.connect();
  const applied: number[] = [];
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [`mlops-migrate:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(`SET search_path TO ${schema}, public`);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${String(m.version).padStart(3, '0')}_${m.name} failed: ${(err as Error).message}`);
      }
      applied.push(m.version);
    }
    return applied;
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', [`mlops-migrate:${schema}`]).catch(() => undefined);
    client.release();
  }
}

export async function appliedMigrations(pool: pg.Pool, schema: string): Promise<number[]> {
  assertSchemaName(schema);
  const res = await pool.query<{ version: number }>(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`);
  return res.rows.map((r) => r.version);
}
