// PostgreSQL: a cluster of this home's own (Debian's binaries, run as the `postgres` user when we are root),
// its database, and the migrations.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, existsSync, lstatSync, mkdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { localEnvPath, type Config } from '../../core/config';
import { createPool } from '../../core/store/db';
import { findPostgresBin, run, type Log } from '../install';
import { migrate } from '../migrate';
import { logTail, portOpen, waitHealthy } from '../processes';

export async function postgresQuery<T>(config: Config, fn: (client: pg.Client) => Promise<T>, database?: string): Promise<T> {
  const url = new URL(config.databaseUrl);
  if (database) url.pathname = `/${database}`;
  const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 1_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function postgresHealthy(config: Config): Promise<boolean> {
  try {
    return await postgresQuery(config, async (c) => (await c.query('SELECT 1 AS one')).rows[0]?.one === 1, 'postgres');
  } catch {
    return false;
  }
}

const asRoot = (): boolean => process.getuid?.() === 0;

/** Runs a Postgres binary as the `postgres` system user when we are root (initdb refuses root). */
function pgCommand(bin: string, tool: string, args: string[]): [string, string[]] {
  return asRoot() ? ['runuser', ['-u', 'postgres', '--', path.join(bin, tool), ...args]] : [path.join(bin, tool), args];
}

/**
 * The cluster lives in $MLOPS_HOME/postgres. When root runs from a folder the postgres user cannot enter
 * (e.g. under /root), the cluster goes to /var/lib/temporal-mlops/<hash> and $MLOPS_HOME/postgres links to it.
 */
function postgresRoot(home: string): string {
  const link = path.join(home, 'postgres');
  if (existsSync(link) && lstatSync(link).isSymbolicLink()) return readlinkSync(link);
  if (existsSync(link) || !asRoot()) return link;
  const probe = spawnSync('runuser', ['-u', 'postgres', '--', 'test', '-x', home]);
  if (probe.status === 0) return link;
  const elsewhere = path.join('/var/lib/temporal-mlops', createHash('sha256').update(home).digest('hex').slice(0, 16));
  mkdirSync(elsewhere, { recursive: true });
  symlinkSync(elsewhere, link);
  return elsewhere;
}

export function postgresUser(config: Config): { user: string; password: string; database: string } {
  const url = new URL(config.databaseUrl);
  return {
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.replace(/^\//, '')) || 'mlops',
  };
}

export async function startPostgres(config: Config, bin: string, log: Log): Promise<void> {
  if (!(await postgresHealthy(config))) await startCluster(config, bin, log);
  const { database } = postgresUser(config);
  await postgresQuery(
    config,
    async (c) => {
      const exists = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
      if (exists.rowCount === 0) await c.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
    },
    'postgres',
  );
  const pool = createPool(config);
  try {
    const applied = await migrate(pool, config.dbSchema);
    if (applied.length > 0) log(`applied migrations ${applied.join(', ')}`);
  } finally {
    await pool.end();
  }
}

async function startCluster(config: Config, bin: string, log: Log): Promise<void> {
  const { home } = config;
  const url = new URL(config.databaseUrl);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
    throw new Error(`Postgres at ${url.hostname}:${url.port} is not reachable, and it is not a local cluster that mlops up can start`);
  }
  if (await portOpen('127.0.0.1', config.postgresPort)) {
    throw new Error(`Postgres: port ${config.postgresPort} is in use by a server that refuses the credentials in ${localEnvPath(home)}`);
  }
  const root = postgresRoot(home);
  const dataDir = path.join(root, 'data');
  mkdirSync(root, { recursive: true });
  if (asRoot()) chownSync(root, ...postgresIds());
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await initCluster(config, bin, root, dataDir, log);
  const pgLog = path.join(root, 'postgres.log');
  const [cmd, args] = pgCommand(bin, 'pg_ctl', [
    '-D',
    dataDir,
    '-l',
    pgLog,
    '-w',
    '-t',
    '60',
    'start',
    '-o',
    `-p ${config.postgresPort} -k ${dataDir} -c listen_addresses=127.0.0.1`,
  ]);
  try {
    await run(cmd, args);
  } catch (err) {
    throw new Error(`Postgres did not start: ${(err as Error).message}\nLast lines of ${pgLog}:\n${logTail(pgLog)}`);
  }
  await waitHealthy('Postgres', () => postgresHealthy(config), { timeoutMs: 30_000, log: pgLog });
}

async function initCluster(config: Config, bin: string, root: string, dataDir: string, log: Log): Promise<void> {
  log('creating the Postgres cluster (initdb)');
  const { user, password } = postgresUser(config);
  const pwfile = path.join(root, '.pwfile');
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (asRoot()) chownSync(pwfile, ...postgresIds());
  try {
    const [cmd, args] = pgCommand(bin, 'initdb', [
      '-D',
      dataDir,
      '-U',
      user,
      `--pwfile=${pwfile}`,
      '--auth-host=scram-sha-256',
      '--auth-local=scram-sha-256',
      '-E',
      'UTF8',
      '--locale=C',
    ]);
    await run(cmd, args);
  } finally {
    rmSync(pwfile, { force: true });
  }
}

function postgresIds(): [number, number] {
  const out = spawnSync('id', ['-u', 'postgres']).stdout.toString().trim();
  const gid = spawnSync('id', ['-g', 'postgres']).stdout.toString().trim();
  if (!out || !gid) throw new Error('the postgres system user does not exist (is PostgreSQL installed?)');
  return [Number(out), Number(gid)];
}

export async function stopPostgres(config: Config): Promise<void> {
  const link = path.join(config.home, 'postgres');
  if (!existsSync(link)) return;
  const dataDir = path.join(lstatSync(link).isSymbolicLink() ? readlinkSync(link) : link, 'data');
  if (!existsSync(path.join(dataDir, 'postmaster.pid'))) return;
  const bin = findPostgresBin();
  if (!bin) return;
  const [cmd, args] = pgCommand(bin, 'pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
  await run(cmd, args).catch(() => undefined);
}
