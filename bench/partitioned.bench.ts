// Partitioned inputs against one real `mlops worker` (its own process, task queue, schema and bucket prefix):
//  - partitioned-ingest-validate-30m: flights-3m ten times (each copy rotated, so the ten files differ) as a
//    directory of ten partitions, against the same 30M rows as one file ingested in a single pass
//    (data.partitionRows above the row count). Figure: partitioned / single-pass time of ingest + validate.
//  - partition-orchestration-overhead: 60 partitions of 1,000 rows through the ingestPartitions fan-out on a
//    worker running one activity at a time, against the same partitions ingested by direct calls in one process.
//    Figure: milliseconds per partition that Temporal, the worker and lineage add.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { loadConfig, type Config } from '../core/config';
import { literal, withDuckDB } from '../core/data/duckdb';
import { ingestPartition } from '../core/data/partition-ingest';
import { planPartitions } from '../core/data/partitions';
import { openStores, type Stores } from '../core/store';
import { migrate } from '../infra/migrate';
import { projectRoot } from '../infra/paths';
import { workerPollers } from '../infra/stack';
import { advanceUpdate, statusQuery, type RunResult, type Stage } from '../workflows/contracts';
import type { Benchmark } from './harness';

const FLIGHTS = path.join(projectRoot(), 'node_modules', 'vega-datasets', 'data', 'flights-3m.parquet');
const cacheDir = path.join(os.tmpdir(), 'mlops-bench-data');
const COPIES = 10;

/** The ten rotated copies of flights-3m (a directory) and their concatenation (one file), made once per machine. */
async function flights30m(): Promise<{ dir: string; file: string }> {
  const dir = path.join(cacheDir, 'flights-30m-parts');
  const file = path.join(cacheDir, 'flights-30m.parquet');
  mkdirSync(dir, { recursive: true });
  await withDuckDB(
    async (c) => {
      for (let k = 0; k < COPIES; k++) {
        const part = path.join(dir, `part-${k}.parquet`);
        if (existsSync(part)) continue;
        await c.run(
          `COPY (SELECT * EXCLUDE (rn) FROM (SELECT *, row_number() OVER () AS rn FROM read_parquet(${literal(FLIGHTS)})) ORDER BY (rn + ${k * 300_000}) % 3000000)
           TO ${literal(`${part}.tmp`)} (FORMAT parquet, COMPRESSION zstd)`,
        );
        await rename(`${part}.tmp`, part);
      }
      if (!existsSync(file)) {
        await c.run(
          `COPY (SELECT * FROM read_parquet(${literal(path.join(dir, 'part-*.parquet'))})) TO ${literal(`${file}.tmp`)} (FORMAT parquet, COMPRESSION zstd)`,
        );
        await rename(`${file}.tmp`, file);
      }
    },
    { memoryLimit: '3GB' },
  );
  return { dir, file };
}

function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

interface Bench {
  config: Config;
  stores: Stores;
  client: Client;
  taskQueue: string;
  worker: ChildProcess;
  say: (line: string) => void;
}

/** One `mlops worker` on a task queue, schema and prefix of its own, for the duration of `fn`. */
async function withWorker<T>(label: string, concurrency: number | undefined, fn: (b: Bench) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const id = randomBytes(4).toString('hex');
  const taskQueue = `bench-${label}-${id}`;
  const stores = openStores(config, { schema: `bench_${label.replace(/-/g, '_')}_${id}`, prefix: `bench/${label}-${id}` });
  await migrate(stores.pool, stores.schema);
  const worker = spawn(
    process.execPath,
    [path.join(projectRoot(), 'bin', 'mlops.js'), 'worker', '--task-queue', taskQueue, ...(concurrency ? ['--concurrency', String(concurrency)] : [])],
    {
      env: { ...process.env, MLOPS_DB_SCHEMA: stores.schema, MLOPS_S3_PREFIX: stores.artifacts.prefix },
      stdio: 'ignore',
    },
  );
  const connection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  try {
    const deadline = Date.now() + 120_000;
    while ((await workerPollers(config, taskQueue)) === 0) {
      if (Date.now() > deadline || worker.exitCode !== null) throw new Error('the worker did not start polling');
      await new Promise((r) => setTimeout(r, 250));
    }
    return await fn({ config, stores, client, taskQueue, worker, say: (line) => void process.stderr.write(`${line}\n`) });
  } finally {
    worker.kill('SIGTERM');
    await new Promise((res) => (worker.exitCode !== null ? res(undefined) : worker.once('exit', res)));
    await connection.close();
    for (const o of await stores.artifacts.list()) await stores.artifacts.remove(o.key);
    await stores.pool.query(`DROP SCHEMA ${stores.schema} CASCADE`);
    await stores.close();
  }
}

/** A level-0 run advanced through ingest and validate, then stopped: the two stages' milliseconds. */
async function ingestAndValidate(b: Bench, model: string, data: Record<string, unknown>): Promise<{ ms: number; result: RunResult }> {
  const h = await b.client.workflow.start('manualPipeline', {
    taskQueue: b.taskQueue,
    workflowId: `bench-${model}`,
    args: [{ name: model, data, target: 'delay' }],
  });
  const advance = async (stage: Stage, approve: boolean): Promise<void> => {
    while ((await h.query(statusQuery)).waitingFor !== stage) await new Promise((r) => setTimeout(r, 100));
    await h.executeUpdate(advanceUpdate, { args: [approve ? { stage } : { stage, approve: false, reason: 'benchmark: ingest and validate only' }] });
  };
  await advance('ingest', true);
  await advance('validate', true);
  await advance('govern', false);
  const result = (await h.result()) as RunResult;
  if (!result.validation?.passed) throw new Error(`${model}: validation did not pass: ${JSON.stringify(result.validation)}`);
  return { ms: (result.timingsMs.ingest ?? NaN) + (result.timingsMs.validate ?? NaN), result };
}

export const partitionedIngestValidate30m: Benchmark = {
  name: 'partitioned-ingest-validate-30m',
  what:
    'Ingest + validate of 30M rows (flights-3m ten times, each copy rotated) on one `mlops worker` (one activity per core): ' +
    'as a directory of ten partitions (staged to MinIO, one activity per partition, summaries merged) over the time of the ' +
    'same rows as one file in a single pass (data.partitionRows above the row count). Both are level-0 runs stopped after ' +
    'validation; the times are the ingest and validate stages of each run.',
  unit: '× single pass',
  target: 1.2,
  better: 'lower',
  runs: Number(process.env.BENCH_RUNS ?? 3),
  run: async () => {
    const { dir, file } = await flights30m();
    return withWorker('partitioned-30m', undefined, async (b) => {
      const single = await ingestAndValidate(b, `single-${randomBytes(3).toString('hex')}`, { uri: file, partitionRows: 1e9 });
      const parts = await ingestAndValidate(b, `parts-${randomBytes(3).toString('hex')}`, { uri: dir });
      if (single.result.dataset?.rows !== 30_000_000 || parts.result.dataset?.rows !== 30_000_000) throw new Error('expected 30M rows in both runs');
      const rss = peakRssMb(b.worker.pid!);
      b.say(
        `  single pass ${(single.ms / 1000).toFixed(1)} s ${JSON.stringify(single.result.timingsMs)}; partitioned ${(parts.ms / 1000).toFixed(1)} s ${JSON.stringify(parts.result.timingsMs)}; worker peak RSS ${rss.toFixed(0)} MB`,
      );
      return { figure: parts.ms / single.ms, details: { singlePassSeconds: single.ms / 1000, partitionedSeconds: parts.ms / 1000, workerPeakRssMb: rss } };
    });
  },
};

const TINY_PARTITIONS = 60;
const TINY_ROWS = 1_000;

export const partitionOverhead: Benchmark = {
  name: 'partition-orchestration-overhead',
  what:
    `${TINY_PARTITIONS} partitions of ${TINY_ROWS.toLocaleString('en-US')} rows (flights) through the ingestPartitions fan-out on one ` +
    '`mlops worker --concurrency 1`, against the same partitions ingested and summarized by direct calls in one process: ' +
    'the milliseconds per partition that scheduling, the worker, payloads and lineage add.',
  unit: 'ms/partition',
  target: 250,
  better: 'lower',
  runs: Number(process.env.BENCH_RUNS ?? 3),
  run: async () => {
    const dir = path.join(cacheDir, `flights-tiny-${TINY_PARTITIONS}`);
    mkdirSync(dir, { recursive: true });
    await withDuckDB(async (c) => {
      for (let k = 0; k < TINY_PARTITIONS; k++) {
        const part = path.join(dir, `part-${String(k).padStart(3, '0')}.parquet`);
        if (!existsSync(part))
          await c.run(`COPY (SELECT * FROM read_parquet(${literal(FLIGHTS)}) LIMIT ${TINY_ROWS} OFFSET ${k * TINY_ROWS}) TO ${literal(part)} (FORMAT parquet)`);
      }
    });
    return withWorker('overhead', 1, async (b) => {
      const plan = (await planPartitions({ uri: dir }, { s3: b.stores.s3, artifacts: b.stores.artifacts }))!;
      const t0 = Date.now();
      for (const p of plan.partitions) await ingestPartition(p, {}, { artifacts: b.stores.artifacts, s3: b.stores.s3 });
      const direct = Date.now() - t0;
      const t1 = Date.now();
      await b.client.workflow.execute('ingestPartitions', {
        taskQueue: b.taskQueue,
        workflowId: `bench-overhead-${randomBytes(3).toString('hex')}`,
        args: [{ model: 'overhead', partitions: plan.partitions, schema: null }],
      });
      const fanOut = Date.now() - t1;
      const perPartition = (fanOut - direct) / TINY_PARTITIONS;
      b.say(
        `  direct ${direct} ms, fan-out ${fanOut} ms: ${perPartition.toFixed(1)} ms per partition on top of ${(direct / TINY_PARTITIONS).toFixed(1)} ms of work`,
      );
      return { figure: perPartition, details: { directMsPerPartition: direct / TINY_PARTITIONS, fanOutMsPerPartition: fanOut / TINY_PARTITIONS } };
    });
  },
};
