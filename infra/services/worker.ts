// Workers: this checkout's worker (unversioned) until level 2 promotes a pipeline version, then one worker per
// version that is current or still has pinned runs open, each from its own build.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import type { Config } from '../../core/config';
import { PipelineVersions } from '../../core/store/pipelines';
import { createPool } from '../../core/store/db';
import type { Log } from '../install';
import { projectRoot } from '../paths';
import { buildWorktree, pipelineRepo } from '../pipeline-build';
import { logFile, pidFile, recordedPid, recordedServices, startDetached, stopPid, waitHealthy } from '../processes';
import { deploymentState, versionRegistered } from '../versions';

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

/** Every worker service with a pid file: this checkout's and the pipeline versions'. */
export function workerServices(home: string): string[] {
  return ['worker', ...recordedServices(home, /^worker-[0-9a-f]{12}$/)];
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
    ...env,
    MLOPS_HOME: home,
    MLOPS_BUILD_ID: buildId,
    MLOPS_DEPLOYMENT: config.deployment,
    MLOPS_TASK_QUEUE: config.taskQueue,
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

/**
 * Level 2 promoted a pipeline version: run the current version's worker, and the workers of versions that
 * still have pinned runs open. Before any promotion: this checkout's worker, unversioned.
 */
export async function startWorker(config: Config, log: Log, env: NodeJS.ProcessEnv): Promise<void> {
  const pool = createPool(config, { max: 1 });
  const current = await new PipelineVersions(pool)
    .current()
    .catch(() => null)
    .finally(() => pool.end());
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
