// The local stack: Temporal dev server, MinIO and a Postgres cluster of its own, on loopback, with
// state under $MLOPS_HOME. `up` starts what is not healthy, so running it twice is a no-op.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import {
  chmodSync, chownSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync,
  symlinkSync, writeFileSync, lstatSync, readlinkSync,
} from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import pg from 'pg';
import { CONFIG_DEFAULTS, loadConfig, localEnvPath, mlopsHome, type Config } from '../core/config';
import { createPool } from '../core/store/db';
import { createS3Client, ensureBucket } from '../core/store/s3';
import { ensureMinio, ensurePostgres, ensureTemporal, findPostgresBin, run, tail, type Log } from './install';
import { appliedMigrations, loadMigrations, migrate } from './migrate';
import { grpcLive } from '../serving/grpc-client';
import { projectRoot } from './paths';
import { ensureTrainerVenv, PYTHON_TRAINER_QUEUE, trainerEnv, wantsPythonTrainer } from './python-trainer';
import { PipelineVersions } from '../core/store/pipelines';
import { buildWorktree, pipelineRepo } from './pipeline-build';
import { deploymentState, versionRegistered } from './versions';

export const SEARCH_ATTRIBUTES = { MlopsModel: 'Keyword', MlopsLevel: 'Int', MlopsTrigger: 'Keyword' } as const;

export interface ServiceStatus {
  ok: boolean;
  detail?: string;
  [key: string]: unknown;
}

export interface StackStatus {
  temporal: ServiceStatus;
  minio: ServiceStatus;
  postgres: ServiceStatus;
  worker: ServiceStatus;
  serving: ServiceStatus;
  grpc: ServiceStatus;
}

/** Services `up` starts and `down` stops; the rest of the status report is informational. */
export const MANAGED_SERVICES = ['temporal', 'minio', 'postgres', 'worker', 'serving'] as const;

// ---------------------------------------------------------------- credentials

/** Writes random local credentials once (mode 0600) and returns the config that reads them. */
export function ensureLocalEnv(env: NodeJS.ProcessEnv = process.env): Config {
  const home = mlopsHome(env);
  mkdirSync(home, { recursive: true });
  const file = localEnvPath(home);
  if (!existsSync(file)) {
    const port = env.MLOPS_PG_PORT || CONFIG_DEFAULTS.MLOPS_PG_PORT;
    const text = [
      '# Local credentials for this machine\'s stack, generated once by `mlops up`. Keep this file private.',
      `MLOPS_S3_ACCESS_KEY=mlops${randomBytes(6).toString('hex')}`,
      `MLOPS_S3_SECRET_KEY=${randomBytes(24).toString('hex')}`,
      `MLOPS_DATABASE_URL=postgres://mlops:${randomBytes(24).toString('hex')}@127.0.0.1:${port}/mlops`,
      '',
    ].join('\n');
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, text, { mode: 0o600 });
    renameSync(tmp, file);
  }
  if ((statSync(file).mode & 0o777) !== 0o600) chmodSync(file, 0o600);
  return loadConfig(env);
}

// ---------------------------------------------------------------- processes

function runDir(home: string): string {
  return path.join(home, 'run');
}

export function logFile(home: string, service: string): string {
  return path.join(home, 'logs', `${service}.log`);
}

function pidFile(home: string, service: string): string {
  return path.join(runDir(home), `${service}.pid`);
}

/** True while a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pid recorded for a service, if that process still runs the expected binary. */
function recordedPid(home: string, service: string, binary: string): number | undefined {
  const file = pidFile(home, service);
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return undefined;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!cmdline.includes(path.basename(binary))) return undefined;
  } catch {
    return undefined;
  }
  return pid;
}

function startDetached(home: string, service: string, binary: string, args: string[], env: NodeJS.ProcessEnv): number {
  mkdirSync(path.dirname(logFile(home, service)), { recursive: true });
  mkdirSync(runDir(home), { recursive: true });
  const fd = openSync(logFile(home, service), 'a');
  try {
    const child = spawn(binary, args, { detached: true, stdio: ['ignore', fd, fd], env });
    child.unref();
    if (!child.pid) throw new Error(`${service}: could not start ${binary}`);
    writeFileSync(pidFile(home, service), `${child.pid}\n`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

async function stopPid(pid: number, signal: NodeJS.Signals, timeoutMs = 20_000): Promise<void> {
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  const deadline = Date.now() + timeoutMs;
  while (alive(pid) && Date.now() < deadline) await sleep(100);
  if (alive(pid)) process.kill(pid, 'SIGKILL');
  while (alive(pid)) await sleep(50);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function portOpen(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (open: boolean): void => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function waitHealthy(
  service: string,
  check: () => Promise<boolean>,
  opts: { timeoutMs: number; pid?: number; log: string },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    if (opts.pid !== undefined && !alive(opts.pid)) {
      throw new Error(`${service} exited while starting. Last lines of ${opts.log}:\n${logTail(opts.log)}`);
    }
    await sleep(250);
  }
  throw new Error(`${service} not healthy after ${opts.timeoutMs / 1000} s. Last lines of ${opts.log}:\n${logTail(opts.log)}`);
}

function logTail(file: string): string {
  try {
    return tail(readFileSync(file, 'utf8'), 25);
  } catch {
    return '(no log)';
  }
}

// ---------------------------------------------------------------- health checks

export async function temporalHealthy(config: Config): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address: config.temporal.address, connectTimeout: 1_000 });
    await connection.workflowService.describeNamespace({ namespace: config.temporal.namespace });
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

async function httpOk(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

export function minioHealthy(config: Config): Promise<boolean> {
  return httpOk(`${config.s3.endpoint}/minio/health/live`);
}

async function postgresQuery<T>(config: Config, fn: (client: pg.Client) => Promise<T>, database?: string): Promise<T> {
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

// ---------------------------------------------------------------- Temporal

async function startTemporal(config: Config, binary: string): Promise<void> {
  const { home } = config;
  const [host, portText] = splitHostPort(config.temporal.address);
  const port = Number(portText);
  if (await temporalHealthy(config)) return;
  if (await portOpen(host, port)) {
    throw new Error(`Temporal: port ${port} is in use by another process that is not a healthy Temporal server`);
  }
  mkdirSync(path.join(home, 'temporal'), { recursive: true });
  const args = [
    'server', 'start-dev',
    '--ip', host,
    '--port', String(port),
    '--ui-port', String(config.temporal.uiPort),
    '--db-filename', path.join(home, 'temporal', 'temporal.db'),
    '--namespace', config.temporal.namespace,
    '--log-level', 'warn',
    ...Object.entries(SEARCH_ATTRIBUTES).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]),
  ];
  const pid = startDetached(home, 'temporal', binary, args, process.env);
  await waitHealthy('Temporal', () => temporalHealthy(config), { timeoutMs: 60_000, pid, log: logFile(home, 'temporal') });
}

function splitHostPort(address: string): [string, string] {
  const i = address.lastIndexOf(':');
  return [address.slice(0, i).replace(/^\[|\]$/g, ''), address.slice(i + 1)];
}

// ---------------------------------------------------------------- MinIO

async function startMinio(config: Config, binary: string): Promise<void> {
  const { home } = config;
  const url = new URL(config.s3.endpoint);
  const port = Number(url.port || 80);
  if (!(await minioHealthy(config))) {
    if (await portOpen(url.hostname, port)) {
      throw new Error(`MinIO: port ${port} is in use by another process that is not a healthy MinIO`);
    }
    const dataDir = path.join(home, 'minio');
    mkdirSync(dataDir, { recursive: true });
    const env = {
      ...process.env,
      MINIO_ROOT_USER: config.s3.accessKey,
      MINIO_ROOT_PASSWORD: config.s3.secretKey,
      MINIO_UPDATE: 'off',
      MINIO_BROWSER: 'on',
    };
    const args = ['server', dataDir, '--address', `${url.hostname}:${port}`, '--console-address', `${url.hostname}:${port + 1}`, '--quiet'];
    const pid = startDetached(home, 'minio', binary, args, env);
    await waitHealthy('MinIO', () => minioHealthy(config), { timeoutMs: 60_000, pid, log: logFile(home, 'minio') });
  }
  await ensureBucket(createS3Client(config), config.s3.bucket).catch((err: { code?: string; message?: string }) => {
    if (!/InvalidAccessKeyId|SignatureDoesNotMatch|AccessDenied/.test(err.code ?? '') && !/credentials/i.test(err.message ?? '')) throw err;
    throw new Error(
      `the MinIO at ${config.s3.endpoint} refuses this home's credentials (${localEnvPath(home)}): another stack (another checkout's \`mlops up\`) is using port ${port}; run \`mlops down\` there, or set MLOPS_S3_ENDPOINT to another port`,
    );
  });
}

// ---------------------------------------------------------------- Postgres

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

function postgresUser(config: Config): { user: string; password: string; database: string } {
  const url = new URL(config.databaseUrl);
  return {
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.replace(/^\//, '')) || 'mlops',
  };
}

async function startPostgres(config: Config, bin: string, log: Log): Promise<void> {
  const { home } = config;
  if (!(await postgresHealthy(config))) {
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
    if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
      log('creating the Postgres cluster (initdb)');
      const { user, password } = postgresUser(config);
      const pwfile = path.join(root, '.pwfile');
      writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
      if (asRoot()) chownSync(pwfile, ...postgresIds());
      try {
        const [cmd, args] = pgCommand(bin, 'initdb', [
          '-D', dataDir, '-U', user, `--pwfile=${pwfile}`, '--auth-host=scram-sha-256', '--auth-local=scram-sha-256',
          '-E', 'UTF8', '--locale=C',
        ]);
        await run(cmd, args);
      } finally {
        rmSync(pwfile, { force: true });
      }
    }
    const pgLog = path.join(root, 'postgres.log');
    const [cmd, args] = pgCommand(bin, 'pg_ctl', [
      '-D', dataDir, '-l', pgLog, '-w', '-t', '60', 'start',
      '-o', `-p ${config.postgresPort} -k ${dataDir} -c listen_addresses=127.0.0.1`,
    ]);
    try {
      await run(cmd, args);
    } catch (err) {
      throw new Error(`Postgres did not start: ${(err as Error).message}\nLast lines of ${pgLog}:\n${logTail(pgLog)}`);
    }
    await waitHealthy('Postgres', () => postgresHealthy(config), { timeoutMs: 30_000, log: pgLog });
  }
  const { database } = postgresUser(config);
  await postgresQuery(config, async (c) => {
    const exists = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) await c.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
  }, 'postgres');
  const pool = createPool(config);
  try {
    const applied = await migrate(pool, config.dbSchema);
    if (applied.length > 0) log(`applied migrations ${applied.join(', ')}`);
  } finally {
    await pool.end();
  }
}

function postgresIds(): [number, number] {
  const out = spawnSync('id', ['-u', 'postgres']).stdout.toString().trim();
  const gid = spawnSync('id', ['-g', 'postgres']).stdout.toString().trim();
  if (!out || !gid) throw new Error('the postgres system user does not exist (is PostgreSQL installed?)');
  return [Number(out), Number(gid)];
}

async function stopPostgres(config: Config): Promise<void> {
  const link = path.join(config.home, 'postgres');
  if (!existsSync(link)) return;
  const dataDir = path.join(lstatSync(link).isSymbolicLink() ? readlinkSync(link) : link, 'data');
  if (!existsSync(path.join(dataDir, 'postmaster.pid'))) return;
  const bin = findPostgresBin();
  if (!bin) return;
  const [cmd, args] = pgCommand(bin, 'pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
  await run(cmd, args).catch(() => undefined);
}

// ---------------------------------------------------------------- worker

/** Workers polling the task queue (any host), or 0 when Temporal is unreachable. */
export async function workerPollers(config: Config, taskQueue = config.taskQueue): Promise<number> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address: config.temporal.address, connectTimeout: 1_000 });
    const res = await connection.workflowService.describeTaskQueue({ namespace: config.temporal.namespace, taskQueue: { name: taskQueue }, taskQueueType: 1 });
    return res.pollers?.length ?? 0;
  } catch {
    return 0;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

/** The service name of a pipeline version's worker. */
function versionService(buildId: string): string {
  return `worker-${buildId.slice(0, 12)}`;
}

/**
 * Starts the worker of pipeline version `buildId` from its build in `dir` (versioned: deployment
 * MLOPS_DEPLOYMENT, build id = the commit); returns once the version has polled.
 */
export async function startVersionWorker(config: Config, buildId: string, dir: string, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { home } = config;
  const service = versionService(buildId);
  const running = recordedPid(home, service, 'node');
  if (running !== undefined) return running;
  const pid = startDetached(home, service, process.execPath, [path.join(dir, 'bin', 'mlops.js'), 'worker', '--build-id', buildId], {
    ...env, MLOPS_HOME: home, MLOPS_BUILD_ID: buildId, MLOPS_DEPLOYMENT: config.deployment, MLOPS_TASK_QUEUE: config.taskQueue,
  });
  const connection = await Connection.connect({ address: config.temporal.address });
  try {
    await waitHealthy(service, () => versionRegistered(connection.workflowService, config, buildId), { timeoutMs: 120_000, pid, log: logFile(home, service) });
  } finally {
    await connection.close();
  }
  return pid;
}

/** Stops one pipeline version's worker (it drains its activities first). */
export async function stopVersionWorker(config: Config, buildId: string): Promise<void> {
  const service = versionService(buildId);
  const pid = recordedPid(config.home, service, 'node');
  if (pid !== undefined) await stopPid(pid, 'SIGTERM', 40_000);
  rmSync(pidFile(config.home, service), { force: true });
}

function versionWorkerServices(home: string): string[] {
  if (!existsSync(runDir(home))) return [];
  return readdirSync(runDir(home)).filter((f) => /^worker-[0-9a-f]{12}\.pid$/.test(f)).map((f) => f.slice(0, -4));
}

/**
 * Level 2 promoted a pipeline version: run the current version's worker, and the workers of versions that
 * still have pinned runs open. Before any promotion: this checkout's worker, unversioned.
 */
async function startWorker(config: Config, log: Log, env: NodeJS.ProcessEnv): Promise<void> {
  const pool = createPool(config, { max: 1 });
  const current = await new PipelineVersions(pool).current().catch(() => null).finally(() => pool.end());
  if (current === null) return startCheckoutWorker(config, env);
  const connection = await Connection.connect({ address: config.temporal.address });
  const state = await deploymentState(connection.workflowService, config).finally(() => connection.close());
  const repo = pipelineRepo(config.pipelineRepo);
  for (const buildId of [...new Set([current, ...(state?.draining ?? [])])]) {
    const { dir, reused } = await buildWorktree(repo, config.home, buildId, (m) => log(`pipeline ${buildId.slice(0, 12)}: ${m}`));
    if (!reused) log(`pipeline ${buildId.slice(0, 12)}: rebuilt in ${dir}`);
    await startVersionWorker(config, buildId, dir, env);
  }
}

async function startCheckoutWorker(config: Config, env: NodeJS.ProcessEnv): Promise<void> {
  const { home } = config;
  if (recordedPid(home, 'worker', 'node') !== undefined) return;
  const bin = path.join(projectRoot(), 'bin', 'mlops.js');
  // The stack's own env (addresses, ports), not this process's: `up({ env })` may describe another stack.
  const pid = startDetached(home, 'worker', process.execPath, [bin, 'worker'], { ...env, MLOPS_HOME: home });
  // Bundling the workflow code takes a few seconds before the first poll.
  await waitHealthy('worker', async () => (await workerPollers(config)) > 0, { timeoutMs: 90_000, pid, log: logFile(home, 'worker') });
}

// ---------------------------------------------------------------- model server

async function servingInfo(config: Config): Promise<{ registry: string; models: { name: string; version: number }[] } | undefined> {
  try {
    const res = await fetch(`http://${config.serveAddress}/v1/models`, { signal: AbortSignal.timeout(1_000) });
    return res.ok ? ((await res.json()) as { registry: string; models: { name: string; version: number }[] }) : undefined;
  } catch {
    return undefined;
  }
}

async function startServingProcess(config: Config, env: NodeJS.ProcessEnv): Promise<void> {
  const { home } = config;
  if (recordedPid(home, 'serving', 'node') !== undefined || (await servingInfo(config))) return;
  const [host, portText] = splitHostPort(config.serveAddress);
  if (await portOpen(host, Number(portText))) throw new Error(`model server: port ${portText} is in use by another process`);
  const [grpcHost, grpcPort] = splitHostPort(config.grpcAddress);
  if (await portOpen(grpcHost, Number(grpcPort))) throw new Error(`model server: the gRPC port ${grpcPort} (MLOPS_GRPC_ADDRESS) is in use by another process`);
  const bin = path.join(projectRoot(), 'bin', 'mlops.js');
  const pid = startDetached(home, 'serving', process.execPath, [bin, 'serve'], { ...env, MLOPS_HOME: home });
  await waitHealthy('model server', async () => (await servingInfo(config)) !== undefined, { timeoutMs: 60_000, pid, log: logFile(home, 'serving') });
}

// ---------------------------------------------------------------- up / down / status

export async function up(opts: { log?: Log; env?: NodeJS.ProcessEnv; worker?: boolean } = {}): Promise<StackStatus> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const config = ensureLocalEnv(opts.env);
  const [temporalBin, minioBin, pgBin] = await Promise.all([ensureTemporal(log), ensureMinio(log), ensurePostgres(log)]);
  const start = async (name: string, fn: () => Promise<void>): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      throw new Error(`${name}: ${(err as Error).message}`);
    }
  };
  await Promise.all([
    start('temporal', () => startTemporal(config, temporalBin)),
    start('minio', () => startMinio(config, minioBin)),
    start('postgres', () => startPostgres(config, pgBin, log)),
  ]);
  if (opts.worker !== false) {
    const env = opts.env ?? process.env;
    await start('worker', () => startWorker(config, log, env));
    await start('serving', () => startServingProcess(config, env));
    if (wantsPythonTrainer(env)) await start('trainer', () => startTrainerProcess(config, log, env));
  }
  return status(config);
}

/** MLOPS_TRAINERS=python: the reference trainer, detached like the worker (its venv built on first use). */
async function startTrainerProcess(config: Config, log: Log, env: NodeJS.ProcessEnv): Promise<void> {
  if (recordedPid(config.home, 'trainer-python', 'python') !== undefined) return;
  const python = await ensureTrainerVenv(config.home, log, env);
  startDetached(config.home, 'trainer-python', python, ['-m', 'mlops_trainer', '--task-queue', env.MLOPS_TRAINER_TASK_QUEUE ?? PYTHON_TRAINER_QUEUE], trainerEnv(config, env));
}

export async function down(opts: { env?: NodeJS.ProcessEnv } = {}): Promise<void> {
  const config = loadConfig(opts.env);
  const { home } = config;
  // The worker first: it drains its running activities while the services it needs are still up.
  const workers = ['worker', ...versionWorkerServices(home)];
  const servingPid = recordedPid(home, 'serving', 'node');
  const trainerPid = recordedPid(home, 'trainer-python', 'python');
  await Promise.all([
    trainerPid !== undefined ? stopPid(trainerPid, 'SIGTERM', 10_000) : undefined,
    ...workers.map((w) => {
      const pid = recordedPid(home, w, 'node');
      return pid !== undefined ? stopPid(pid, 'SIGTERM', 40_000) : undefined;
    }),
    servingPid !== undefined ? stopPid(servingPid, 'SIGTERM', 10_000) : undefined,
  ]);
  for (const w of workers) rmSync(pidFile(home, w), { force: true });
  rmSync(pidFile(home, 'serving'), { force: true });
  rmSync(pidFile(home, 'trainer-python'), { force: true });
  const temporalPid = recordedPid(home, 'temporal', 'temporal');
  const minioPid = recordedPid(home, 'minio', 'minio');
  await Promise.all([
    // SIGINT is the dev server's Ctrl-C: it closes its SQLite file cleanly.
    temporalPid !== undefined ? stopPid(temporalPid, 'SIGINT') : undefined,
    minioPid !== undefined ? stopPid(minioPid, 'SIGTERM') : undefined,
    stopPostgres(config),
  ]);
  for (const s of ['temporal', 'minio']) rmSync(pidFile(home, s), { force: true });
}

export async function status(config: Config = loadConfig()): Promise<StackStatus> {
  const hasCredentials = Boolean(config.databaseUrl && config.s3.accessKey);
  const [temporalOk, minioOk, postgresOk] = await Promise.all([
    temporalHealthy(config),
    minioHealthy(config),
    hasCredentials ? postgresHealthy(config) : Promise.resolve(false),
  ]);
  const uiOk = temporalOk && (await httpOk(`http://${splitHostPort(config.temporal.address)[0]}:${config.temporal.uiPort}/`));
  let migrations: number[] = [];
  if (postgresOk) {
    const pool = createPool(config, { max: 1 });
    migrations = await appliedMigrations(pool, config.dbSchema).catch(() => []);
    await pool.end();
  }
  const { host: pgHost, database } = hasCredentials
    ? { host: new URL(config.databaseUrl).hostname, database: postgresUser(config).database }
    : { host: '127.0.0.1', database: 'mlops' };
  const [uiHost] = splitHostPort(config.temporal.address);
  const minioUrl = new URL(config.s3.endpoint);
  return {
    temporal: {
      ok: temporalOk,
      address: config.temporal.address,
      namespace: config.temporal.namespace,
      ui: `http://${uiHost}:${config.temporal.uiPort}`,
      uiOk,
    },
    minio: {
      ok: minioOk,
      endpoint: config.s3.endpoint,
      console: `${minioUrl.protocol}//${minioUrl.hostname}:${Number(minioUrl.port || 80) + 1}`,
      bucket: config.s3.bucket,
    },
    postgres: {
      ok: postgresOk,
      host: pgHost,
      port: config.postgresPort,
      database,
      migrations: `${migrations.length}/${loadMigrations().length}`,
      ...(hasCredentials ? {} : { detail: 'no credentials yet: run `mlops up`' }),
    },
    worker: await (async () => {
      const pollers = temporalOk ? await workerPollers(config) : 0;
      return { ok: pollers > 0, taskQueue: config.taskQueue, pollers, ...(pollers === 0 ? { detail: 'no worker polls the task queue: run `mlops up` or `mlops worker`' } : {}) };
    })(),
    serving: await (async () => {
      const info = await servingInfo(config);
      return { ok: info !== undefined, url: `http://${config.serveAddress}`, models: info?.models.length ?? 0, ...(info ? {} : { detail: 'no model server answers: run `mlops up` or `mlops serve`' }) };
    })(),
    grpc: await (async () => {
      const ok = await grpcLive(config.grpcAddress);
      return { ok, address: config.grpcAddress, ...(ok ? {} : { detail: 'no gRPC inference service answers: run `mlops up` or `mlops serve`' }) };
    })(),
  };
}
