// Task priority and fairness on a Temporal dev server started as `mlops up` starts it (the priority matcher
// and fairness enabled by infra/stack.ts TEMPORAL_DYNAMIC_CONFIG): a backlog of activity tasks is dispatched
// to one busy worker in the order runPriority gives (drift and manual runs before scheduled ones), and one
// model's many tasks do not hold back another model's few.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPriority } from '../../core/priority';
import { ensureTemporal } from '../../infra/install';
import { temporalDevArgs } from '../../infra/services/temporal';
import { testWorkflowBundle } from '../support/worker';

let server: ChildProcess;
let address: string;
let connection: Connection;
let client: Client;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const port = await freePort();
  address = `127.0.0.1:${port}`;
  // In memory and headless: this file's own server, with the same dynamic config as the stack's.
  server = spawn(await ensureTemporal(() => undefined), temporalDevArgs({ host: '127.0.0.1', port, headless: true }), { stdio: 'ignore' });
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      connection = await Connection.connect({ address, connectTimeout: 1000 });
      await connection.workflowService.getSystemInfo({});
      break;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  client = new Client({ connection });
}, 90_000);

afterAll(async () => {
  await connection?.close();
  server?.kill('SIGTERM');
});

/** Runs the tasks as a backlog on one activity slot; returns the labels in the order they ran. */
async function dispatchOrder(tasks: { label: string; priority: { priorityKey?: number; fairnessKey?: string } }[]): Promise<string[]> {
  const taskQueue = `priority-${Math.random().toString(16).slice(2)}`;
  const order: string[] = [];
  const nativeConnection = await NativeConnection.connect({ address });
  // Workflows only: the activities wait in the queue until every one is scheduled.
  const scheduler = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowBundle: await testWorkflowBundle(),
  });
  const scheduling = scheduler.run();
  const handle = await client.workflow.start('prioritizedTasks', { taskQueue, workflowId: taskQueue, args: [{ tasks }] });
  for (let i = 0; i < 200 && ((await handle.describe()).raw.pendingActivities?.length ?? 0) < tasks.length; i++) await new Promise((r) => setTimeout(r, 100));
  expect((await handle.describe()).raw.pendingActivities?.length).toBe(tasks.length);
  const runner = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    maxConcurrentActivityTaskExecutions: 1,
    activities: {
      recordTask: async (label: string) => {
        order.push(label);
        await new Promise((r) => setTimeout(r, 50));
      },
    },
  });
  await runner.runUntil(handle.result());
  scheduler.shutdown();
  await scheduling;
  await nativeConnection.close();
  return order;
}

describe('task priority and fairness', () => {
  it('runs a drift-triggered and a manual run’s tasks before a backlog of scheduled runs’ tasks', async () => {
    const tasks = [
      ...Array.from({ length: 8 }, (_, i) => ({ label: `schedule-${i}`, priority: runPriority('schedule', 'nightly') })),
      { label: 'manual', priority: runPriority('manual', 'adhoc') },
      { label: 'drift', priority: runPriority('drift', 'churn') },
    ];
    const order = await dispatchOrder(tasks);
    expect(order.slice(0, 2), order.join(' ')).toEqual(['drift', 'manual']);
  }, 120_000);

  it('gives a model with few tasks its share while another model has a large backlog of the same priority', async () => {
    const tasks = [
      ...Array.from({ length: 16 }, (_, i) => ({ label: `big-${i}`, priority: runPriority('schedule', 'big') })),
      ...Array.from({ length: 3 }, (_, i) => ({ label: `small-${i}`, priority: runPriority('schedule', 'small') })),
    ];
    const order = await dispatchOrder(tasks);
    // First in, first out would run the small model's tasks last (positions 17–19); fair shares interleave them.
    const positions = order.map((l, i) => (l.startsWith('small') ? i + 1 : 0)).filter((p) => p > 0);
    expect(Math.max(...positions), order.join(' ')).toBeLessThanOrEqual(7);
  }, 120_000);
});
