// The worker: every workflow and activity on the task queue, bound to the stores of this config.
// SIGINT/SIGTERM drain it gracefully (running activities finish or heartbeat out, nothing is lost).
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerDeploymentOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { Config } from '../core/config';
import { setSourceCacheLimit } from '../core/data/source-cache';
import { openStores } from '../core/store';

function versioning(deploymentName: string, buildId: string): WorkerDeploymentOptions {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(buildId)) throw new Error(`build id ${JSON.stringify(buildId)} must be 1-128 of A-Z a-z 0-9 . _ -`);
  return { version: { deploymentName, buildId }, useWorkerVersioning: true, defaultVersioningBehavior: 'PINNED' };
}

/** The workflows module: TypeScript source when running from source (tests), compiled JS otherwise. */
export function workflowsPath(): string {
  const ts = path.join(__dirname, '..', 'workflows', 'index.ts');
  return existsSync(ts) ? ts : path.join(__dirname, '..', 'workflows', 'index.js');
}

/**
 * With `buildId` the worker is one version of the pipeline code (level 2): deployment MLOPS_DEPLOYMENT,
 * PINNED by default, so a run finishes on the version it started on. Without it: unversioned.
 */
export async function createWorker(
  config: Config,
  opts: { taskQueue?: string; buildId?: string; concurrency?: number } = {},
): Promise<{ worker: Worker; close: () => Promise<void> }> {
  const taskQueue = opts.taskQueue ?? config.taskQueue;
  setSourceCacheLimit(config.sourceCacheBytes);
  const stores = openStores(config);
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const clientConnection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection: clientConnection, namespace: config.temporal.namespace });
  const cores = Math.max(1, os.cpus().length);
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue,
    workflowsPath: workflowsPath(),
    activities: createActivities(stores, { client, taskQueue, serveUrl: `http://${config.serveAddress}`, config }),
    ...(opts.buildId ? { workerDeploymentOptions: versioning(config.deployment, opts.buildId) } : {}),
    // Stages are CPU-bound (DuckDB, training): one per core unless asked; many light workflow tasks.
    maxConcurrentActivityTaskExecutions: opts.concurrency ?? cores,
    maxConcurrentWorkflowTaskExecutions: 40,
    // Heartbeat details (train progress) reach the server, the UI and `mlops run --wait` within 2 s.
    maxHeartbeatThrottleInterval: '2 seconds',
    shutdownGraceTime: '30 seconds',
  });
  return {
    worker,
    close: async () => {
      await clientConnection.close();
      await connection.close();
      await stores.close();
    },
  };
}
