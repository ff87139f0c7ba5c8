// A real worker on its own task queue against the shared dev server, for activity and workflow tests.
import { randomBytes } from 'node:crypto';
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import { createActivities, type Activities } from '../../activities';
import { loadConfig, type Config } from '../../core/config';
import type { Stores } from '../../core/store';

let runtimeInstalled = false;

/** test/support/workflows bundled once per test run (test/support/global-setup.ts) and reused by every file. */
export async function testWorkflowBundle(): Promise<{ codePath: string }> {
  const codePath = path.join(inject('testBundleDir'), 'workflows.js');
  if (!existsSync(codePath)) {
    const { code } = await bundleWorkflowCode({ workflowsPath: path.join(__dirname, 'workflows', 'index.ts'), logger: new DefaultLogger('WARN') });
    const partial = `${codePath}.${process.pid}`;
    writeFileSync(partial, code);
    renameSync(partial, codePath);
  }
  return { codePath };
}

export interface TestWorker {
  taskQueue: string;
  client: Client;
  stop: () => Promise<void>;
}

export async function startTestWorker(
  stores: Stores,
  label: string,
  opts: {
    serveUrl?: string;
    config?: Config;
    serveWaitMs?: number;
    wrap?: (activities: Activities) => Activities;
    extraActivities?: Record<string, (...args: never[]) => Promise<unknown>>;
  } = {},
): Promise<TestWorker> {
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    runtimeInstalled = true;
  }
  const config = loadConfig();
  const taskQueue = `test-${label}-${randomBytes(4).toString('hex')}`;
  const connection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection });
  const worker = await Worker.create({
    connection: await NativeConnection.connect({ address: config.temporal.address }),
    taskQueue,
    workflowBundle: await testWorkflowBundle(),
    activities: {
      ...(opts.wrap ?? ((a) => a))(
        createActivities(stores, { client, taskQueue, serveUrl: opts.serveUrl, config: opts.config, serveWaitMs: opts.serveWaitMs }),
      ),
      ...opts.extraActivities,
    },
    maxHeartbeatThrottleInterval: '2 seconds',
  });
  const running = worker.run();
  return {
    taskQueue,
    client,
    stop: async () => {
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}

/** The application failure behind a failed workflow: its type and message. */
export function failureOf(err: unknown): { type?: string; message?: string; nonRetryable?: boolean } {
  if (!(err instanceof WorkflowFailedError)) throw new Error(`expected the workflow to fail, got ${String(err)}`);
  let cause: unknown = err.cause;
  while (cause && typeof cause === 'object' && 'cause' in cause && (cause as { cause?: unknown }).cause) cause = (cause as { cause: unknown }).cause;
  return cause as { type?: string; message?: string; nonRetryable?: boolean };
}

export const expectFailure = <T>(p: Promise<T>): Promise<ReturnType<typeof failureOf>> =>
  p.then(
    () => {
      throw new Error('expected the workflow to fail, but it completed');
    },
    (e: unknown) => failureOf(e),
  );
