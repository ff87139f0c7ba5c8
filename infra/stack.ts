// The local stack: Temporal dev server, MinIO and a Postgres cluster of its own, on loopback, with
// state under $MLOPS_HOME, plus the worker and the model server. `up` starts what is not healthy, so running
// it twice is a no-op. Each service lives in its own module under infra/services/; this file sequences them.
import { rmSync } from 'node:fs';
import { loadConfig, type Config } from '../core/config';
import { createPool } from '../core/store/db';
import { grpcLive } from '../serving/grpc-client';
import { ensureLocalEnv } from './credentials';
import { ensureMinio, ensurePostgres, ensureTemporal, type Log } from './install';
import { appliedMigrations, loadMigrations } from './migrate';
import { httpOk, pidFile, recordedPid, splitHostPort, stopPid } from './processes';
import { wantsPythonTrainer } from './python-trainer';
import { minioConsoleUrl, minioHealthy, startMinio } from './services/minio';
import { postgresHealthy, postgresUser, startPostgres, stopPostgres } from './services/postgres';
import { consoleHealthy, startConsoleProcess } from './services/console';
import { servingInfo, startServingProcess } from './services/serving';
import { startTemporal, temporalHealthy } from './services/temporal';
import { startTrainerProcess } from './services/trainer';
import { startWorker, workerPollers, workerServices } from './services/worker';

export { ensureLocalEnv } from './credentials';
export { alive, logFile } from './processes';
export { minioHealthy } from './services/minio';
export { postgresHealthy } from './services/postgres';
export { temporalHealthy } from './services/temporal';
export { startVersionWorker, stopVersionWorker, workerPollers } from './services/worker';

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
  console: ServiceStatus;
}

/** Services `up` starts and `down` stops; the rest of the status report is informational. */
export const MANAGED_SERVICES = ['temporal', 'minio', 'postgres', 'worker', 'serving', 'console'] as const;

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
    await start('console', () => startConsoleProcess(config, env));
    if (wantsPythonTrainer(env)) await start('trainer', () => startTrainerProcess(config, log, env));
  }
  return status(config);
}

export async function down(opts: { env?: NodeJS.ProcessEnv } = {}): Promise<void> {
  const config = loadConfig(opts.env);
  const { home } = config;
  // The worker first: it drains its running activities while the services it needs are still up.
  const workers = workerServices(home);
  const servingPid = recordedPid(home, 'serving', 'node');
  const consolePid = recordedPid(home, 'console', 'node');
  const trainerPid = recordedPid(home, 'trainer-python', 'python');
  await Promise.all([
    trainerPid !== undefined ? stopPid(trainerPid, 'SIGTERM', 10_000) : undefined,
    ...workers.map((w) => {
      const pid = recordedPid(home, w, 'node');
      return pid !== undefined ? stopPid(pid, 'SIGTERM', 40_000) : undefined;
    }),
    servingPid !== undefined ? stopPid(servingPid, 'SIGTERM', 10_000) : undefined,
    consolePid !== undefined ? stopPid(consolePid, 'SIGTERM', 10_000) : undefined,
  ]);
  for (const w of workers) rmSync(pidFile(home, w), { force: true });
  rmSync(pidFile(home, 'serving'), { force: true });
  rmSync(pidFile(home, 'console'), { force: true });
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
  const [uiHost] = splitHostPort(config.temporal.address);
  const uiOk = temporalOk && (await httpOk(`http://${uiHost}:${config.temporal.uiPort}/`));
  return {
    temporal: {
      ok: temporalOk,
      address: config.temporal.address,
      namespace: config.temporal.namespace,
      ui: `http://${uiHost}:${config.temporal.uiPort}`,
      uiOk,
    },
    minio: { ok: minioOk, endpoint: config.s3.endpoint, console: minioConsoleUrl(config), bucket: config.s3.bucket },
    postgres: await postgresStatus(config, hasCredentials, postgresOk),
    worker: await workerStatus(config, temporalOk),
    serving: await servingStatus(config),
    grpc: await grpcStatus(config),
    console: await consoleStatus(config),
  };
}

async function postgresStatus(config: Config, hasCredentials: boolean, ok: boolean): Promise<ServiceStatus> {
  let migrations: number[] = [];
  if (ok) {
    const pool = createPool(config, { max: 1 });
    migrations = await appliedMigrations(pool, config.dbSchema).catch(() => []);
    await pool.end();
  }
  const { host, database } = hasCredentials
    ? { host: new URL(config.databaseUrl).hostname, database: postgresUser(config).database }
    : { host: '127.0.0.1', database: 'mlops' };
  return {
    ok,
    host,
    port: config.postgresPort,
    database,
    migrations: `${migrations.length}/${loadMigrations().length}`,
    ...(hasCredentials ? {} : { detail: 'no credentials yet: run `mlops up`' }),
  };
}

async function workerStatus(config: Config, temporalOk: boolean): Promise<ServiceStatus> {
  const pollers = temporalOk ? await workerPollers(config) : 0;
  return {
    ok: pollers > 0,
    taskQueue: config.taskQueue,
    pollers,
    ...(pollers === 0 ? { detail: 'no worker polls the task queue: run `mlops up` or `mlops worker`' } : {}),
  };
}

async function servingStatus(config: Config): Promise<ServiceStatus> {
  const info = await servingInfo(config);
  return {
    ok: info !== undefined,
    url: `http://${config.serveAddress}`,
    models: info?.models.length ?? 0,
    ...(info ? {} : { detail: 'no model server answers: run `mlops up` or `mlops serve`' }),
  };
}

async function grpcStatus(config: Config): Promise<ServiceStatus> {
  const ok = await grpcLive(config.grpcAddress);
  return { ok, address: config.grpcAddress, ...(ok ? {} : { detail: 'no gRPC inference service answers: run `mlops up` or `mlops serve`' }) };
}

async function consoleStatus(config: Config): Promise<ServiceStatus> {
  const ok = await consoleHealthy(config);
  return { ok, url: `http://${config.consoleAddress}`, ...(ok ? {} : { detail: 'no console answers: run `mlops up` or `mlops console`' }) };
}
