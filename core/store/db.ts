// The one Postgres pool factory. Every connection's search_path is pinned to one schema, so a test
// file can run the same migrations and stores in a schema of its own.
import pg from 'pg';
import { requireCredentials, type Config } from '../config';
import { describeError, isStaleConnectionError, sqlReadOnly, STALE_RETRIES, stderrLog, type StaleLog } from './stale-connections';

/** A connection idle at least this long is checked with a round trip before it is handed out. */
export const CHECK_IDLE_AFTER_MS = 1_000;

export function assertSchemaName(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(`schema name ${JSON.stringify(schema)} is not a lower-case SQL identifier`);
  }
  return schema;
}

export function createPool(config: Config, opts: { schema?: string; database?: string; max?: number; log?: StaleLog } = {}): pg.Pool {
  requireCredentials(config);
  const schema = assertSchemaName(opts.schema ?? config.dbSchema);
  const url = new URL(config.databaseUrl);
  if (opts.database) url.pathname = `/${opts.database}`;
  const pool = new pg.Pool({
    connectionString: url.toString(),
    max: opts.max ?? 5,
    connectionTimeoutMillis: 5_000,
    keepAlive: true,
    options: `-c search_path=${schema},public`,
  });
  // An idle client's error (e.g. the server restarting) must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  guardStaleConnections(pool, opts.log ?? stderrLog);
  return pool;
}

type ConnectCallback = (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: Error | boolean) => void) => void;

/**
 * A connection that sat idle is checked (SELECT 1) before the pool hands it out; a stale one is dropped
 * and another taken, before any statement of the caller's was sent — so writes and transactions are safe too.
 * A read-only pool.query that still meets a reset mid-flight is run again; a write is not (it may have applied).
 */
function guardStaleConnections(pool: pg.Pool, log: StaleLog): void {
  const idleSince = new WeakMap<object, number>();
  pool.on('release', (_err: Error | undefined, client: pg.PoolClient) => idleSince.set(client, Date.now()));
  const checkout = pool.connect.bind(pool) as () => Promise<pg.PoolClient>;
  const connect = async (): Promise<pg.PoolClient> => {
    for (let retry = 1; ; retry++) {
      const client = await checkout();
      const since = idleSince.get(client);
      if (since === undefined || Date.now() - since < CHECK_IDLE_AFTER_MS) return client;
      // A checked-out client's socket error is also emitted as an event: nobody else listens while we check.
      const swallow = (): void => undefined;
      client.on('error', swallow);
      try {
        await client.query('SELECT 1');
        return client;
      } catch (err) {
        client.release(err instanceof Error ? err : true); // true/an error: the pool destroys this connection
        if (retry > STALE_RETRIES || !isStaleConnectionError(err)) throw err;
        log(`postgres: an idle connection had gone stale (${describeError(err)}); taking another (${retry}/${STALE_RETRIES})`);
      } finally {
        client.off('error', swallow);
      }
    }
  };
  // pg-pool's own query() checks out through this.connect(callback).
  const patched = pool as unknown as { connect: (cb?: ConnectCallback) => Promise<pg.PoolClient> | void; query: (...args: unknown[]) => unknown };
  patched.connect = (cb?: ConnectCallback) => {
    if (!cb) return connect();
    connect().then(
      (c) => cb(undefined, c, (release) => c.release(release)),
      (err: Error) => cb(err, undefined, () => undefined),
    );
  };
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  patched.query = (...args: unknown[]) => {
    const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: unknown } | undefined)?.text;
    // Callback and stream forms, and anything that writes, go through untouched.
    const submittable = typeof (args[0] as { submit?: unknown } | undefined)?.submit === 'function';
    if (submittable || typeof args[args.length - 1] === 'function' || typeof text !== 'string' || !sqlReadOnly(text)) return query(...args);
    return (async () => {
      for (let retry = 1; ; retry++) {
        try {
          return await (query(...args) as Promise<unknown>);
        } catch (err) {
          if (retry > STALE_RETRIES || !isStaleConnectionError(err)) throw err;
          log(`postgres: a read failed on a reset connection (${describeError(err)}); retrying (${retry}/${STALE_RETRIES})`);
        }
      }
    })();
  };
}
