// The `mlops` commands that run the local stack and its processes: up, down, status, worker, trainer python,
// serve, console, demo and synth.
import { loadConfig } from '../core/config';
import { down, status, up, type StackStatus } from '../infra/stack';
import { startConsole } from '../console/main';
import { startServing } from '../serving/main';
import { json, type Command } from './command';
import { demoCommand } from './demo';
import { synthCommand } from './synth-command';
import { trainerPythonCommand } from './trainer-command';
import { workerCommand } from './worker-command';

export const STACK_COMMANDS: Command[] = [
  {
    name: 'up',
    usage: 'mlops up',
    summary: 'install what is missing and start the local stack (Temporal, MinIO, Postgres, a worker, the model server) on loopback',
    action: async () => {
      const started = Date.now();
      const status = await up({ log: (line) => console.error(line) });
      printStatus(status);
      console.log(`stack up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return allManagedOk(status) ? 0 : 1;
    },
  },
  {
    name: 'down',
    usage: 'mlops down',
    summary: 'stop the local stack; data under $MLOPS_HOME is kept',
    action: async () => {
      await down();
      console.log('stack stopped (data kept)');
    },
  },
  {
    name: 'status',
    usage: 'mlops status [--json]',
    summary: 'health of temporal, minio, postgres, worker and serving (never prints a secret)',
    options: json,
    action: async ({ values }) => {
      const s = await status(loadConfig());
      if (values.json) console.log(JSON.stringify(s, null, 2));
      else printStatus(s);
      return allManagedOk(s) ? 0 : 1;
    },
  },
  {
    name: 'worker',
    usage: 'mlops worker [--concurrency N] [--task-queue Q] [--build-id SHA]',
    summary: 'run a worker in the foreground (SIGTERM or Ctrl-C drains it); it joins the current pipeline version; --build-id runs it as that version',
    options: { concurrency: { type: 'string' }, 'task-queue': { type: 'string' }, 'build-id': { type: 'string' } },
    action: ({ values }) => workerCommand(values),
  },
  {
    name: 'trainer python',
    usage: 'mlops trainer python [--task-queue Q]',
    summary: 'run the reference scikit-learn trainer (training.external) in the foreground; its venv is built under $MLOPS_HOME once',
    options: { 'task-queue': { type: 'string' } },
    action: ({ values }) => trainerPythonCommand(values),
  },
  {
    name: 'serve',
    usage: 'mlops serve [--address HOST:PORT] [--grpc-address HOST:PORT] [--alias A]',
    summary: 'run the model server in the foreground (KServe V1 and V2 REST, V2 gRPC; every model with the alias; hot reload)',
    options: { address: { type: 'string' }, 'grpc-address': { type: 'string' }, alias: { type: 'string' } },
    action: async ({ values }) => {
      const config = loadConfig();
      const grpcAddress = (values['grpc-address'] as string | undefined) ?? config.grpcAddress;
      const running = await startServing(config, {
        address: values.address as string | undefined,
        grpcAddress,
        alias: values.alias as string | undefined,
        log: (l) => console.log(l),
      });
      console.log(`model server on ${running.url}, gRPC on ${running.grpc} (Ctrl-C or SIGTERM stops it)`);
      await closeOnSignal(running);
    },
  },
  {
    name: 'console',
    usage: 'mlops console [--address HOST:PORT]',
    summary: 'run the read-only web console in the foreground (models, versions, curves, lineage, drift, feature sets)',
    options: { address: { type: 'string' } },
    action: async ({ values }) => {
      const running = await startConsole(loadConfig(), { address: values.address as string | undefined, log: (l) => console.log(l) });
      console.log(`console on ${running.url} (Ctrl-C or SIGTERM stops it)`);
      await closeOnSignal(running);
    },
  },
  {
    name: 'demo',
    usage: 'mlops demo',
    summary: 'bring the stack up, run a level-0 pipeline (advanced by the demo) and a level-1 pipeline on real data',
    action: () => demoCommand(),
  },
  {
    name: 'synth',
    usage: 'mlops synth [--rows N] [--drift X] [--seed S] [--out FILE.csv|FILE.parquet]',
    summary: 'write a synthetic churn dataset (numeric, categorical, date columns; label churned)',
    options: { rows: { type: 'string' }, drift: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' } },
    action: ({ values }) => synthCommand(values),
  },
];

/** Runs a foreground service until Ctrl-C or SIGTERM, then closes it. */
async function closeOnSignal(running: { close: () => Promise<void> }): Promise<void> {
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await running.close();
}

function allManagedOk(s: StackStatus): boolean {
  return s.temporal.ok && s.minio.ok && s.postgres.ok && s.worker.ok && s.serving.ok;
}

function printStatus(s: StackStatus): void {
  for (const [name, svc] of Object.entries(s) as [string, StackStatus[keyof StackStatus]][]) {
    const { ok, detail, ...rest } = svc;
    const fields = Object.entries(rest)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(' ');
    console.log(`${ok ? 'ok  ' : 'DOWN'} ${name.padEnd(9)} ${fields}${detail ? `  (${detail})` : ''}`);
  }
}
