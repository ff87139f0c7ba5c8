// The one Postgres pool factory. Every connection's search_path is pinned to one schema, so a test
// file can run the same migrations and stores in a schema of its own.
import pg from 'pg';
import { requireCredentials, type Config } from '../config';

export function assertSchemaName(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(`schema name ${JSON.stringify(schema)} is not a lower-case SQL identifier`);
  }
  return schema;
}

export function createPool(config: Config, opts: { schema?: string; database?: string; max?: number } = {}): pg.Pool {
  requireCredentials(config);
  const schema = assertSchemaName(opts.schema ?? config.dbSchema);
  const url = new URL(config.databaseUrl);
  if (opts.database) url.pathname = `/${opts.database}`;
  const pool = new pg.Pool({
    connectionString: url.toString(),
    max: opts.max ?? 5,
    connectionTimeoutMillis: 5_000,
    options: `-c search_path=${schema},public`,
  });
  // An idle client's error (e.g. the server restarting) must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}
