// `mlops worker`: a worker in the foreground. A plain `mlops worker` joins the pipeline version that is current
// (level 2), as `mlops up` runs it, so a worker added on this host or another takes the same tasks as the existing
// ones, pinned runs included; before any promotion it runs this checkout's code, unversioned.
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../core/config';
import { createPool } from '../core/store/db';
import { PipelineVersions } from '../core/store/pipelines';
import { buildWorktree, pipelineRepo } from '../infra/pipeline-build';
import { createWorker } from '../workers/main';
import { UsageError } from './usage-error';

/** --concurrency: activities this worker runs at once (default: one per core; stages are CPU-bound). */
export function parseConcurrency(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new UsageError(`--concurrency must be an integer from 1 to 256, got ${JSON.stringify(value)}`);
  return n;
}

export async function workerCommand(values: Record<string, unknown>): Promise<number> {
  const config = loadConfig();
  const concurrency = parseConcurrency(values.concurrency);
  const taskQueue = values['task-queue'] as string | undefined;
  const buildId = values['build-id'] as string | undefined;
  if (buildId === undefined && taskQueue === undefined) {
    const pool = createPool(config, { max: 1 });
    const current = await new PipelineVersions(pool).current().finally(() => pool.end());
    if (current !== null) return runVersionWorker(config.pipelineRepo, config.home, current, concurrency);
  }
  const { worker, close } = await createWorker(config, {
    ...(taskQueue ? { taskQueue } : {}),
    ...(buildId ? { buildId } : {}),
    ...(concurrency ? { concurrency } : {}),
  });
  const version = buildId ? ` as ${config.deployment} build ${buildId.slice(0, 12)}` : '';
  console.log(
    `worker ${process.pid}@${os.hostname()} polling task queue ${taskQueue ?? config.taskQueue} at ${config.temporal.address}${version}, ` +
      `${concurrency ?? 'one activity per core'}${concurrency ? ' activities at once' : ''} (Ctrl-C or SIGTERM drains it)`,
  );
  try {
    await worker.run();
  } finally {
    await close();
  }
  console.log('worker stopped');
  return 0;
}

/** Runs the current version's build (made or reused under $MLOPS_HOME/pipelines) in the foreground. */
async function runVersionWorker(repo: string | null, home: string, buildId: string, concurrency: number | undefined): Promise<number> {
  const { dir, reused } = await buildWorktree(pipelineRepo(repo), home, buildId, (m) => console.log(`pipeline ${buildId.slice(0, 12)}: ${m}`));
  console.log(`joining the current pipeline version ${buildId.slice(0, 12)} (${reused ? 'build reused' : 'built'} in ${dir})`);
  const args = [path.join(dir, 'bin', 'mlops.js'), 'worker', '--build-id', buildId, ...(concurrency ? ['--concurrency', String(concurrency)] : [])];
  const child = spawn(process.execPath, args, { stdio: 'inherit', env: { ...process.env, MLOPS_BUILD_ID: buildId } });
  const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
  process.on('SIGINT', forward).on('SIGTERM', forward);
  const code = await new Promise<number>((resolve) => child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
  process.off('SIGINT', forward).off('SIGTERM', forward);
  return code;
}
