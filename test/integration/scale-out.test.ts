// Scale-out: three `mlops worker` processes that share only the services (each its own TMPDIR) take the
// partitions of one partitioned input. One worker is SIGKILLed while it holds a partition; the run still
// completes with every partition counted once, and the merged statistics agree with a single pass.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, defaultPayloadConverter } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config';
import { literal, withDuckDB } from '../../core/data/duckdb';
import type { PartitionResult } from '../../core/data/partitioned-dataset';
import { computeStatistics, type DatasetStatistics } from '../../core/data/statistics';
import { advanceUpdate, statusQuery, type RunResult, type Stage, workflows } from '../../workflows/contracts';
import { isolatedStores } from '../support/isolated-stores';
import { expectAgreement } from '../support/statistics-agreement';

// 12 partitions of 500k rows: the 6M rows (docs/architecture.md gives the file's time on this machine).
const PARTITIONS = 12;
const PART_ROWS = 500_000;
let s: Awaited<ReturnType<typeof isolatedStores>>;
let client: Client;
let connection: Connection;
const workers = new Map<number, ChildProcess>();
const taskQueue = `test-scaleout-${randomBytes(4).toString('hex')}`;
const dir = mkdtempSync(path.join(os.tmpdir(), 'mlops-scaleout-'));
const bin = path.join(__dirname, '..', '..', 'bin', 'mlops.js');
const files: string[] = [];

function startWorker(): ChildProcess {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'mlops-worker-tmp-'));
  const child = spawn(process.execPath, [bin, 'worker', '--task-queue', taskQueue, '--concurrency', '1'], {
    env: { ...process.env, TMPDIR: tmp, MLOPS_DB_SCHEMA: s.schema, MLOPS_S3_PREFIX: s.artifacts.prefix },
    stdio: 'ignore',
  });
  workers.set(child.pid!, child);
  return child;
}

beforeAll(async () => {
  s = await isolatedStores('scaleout');
  mkdirSync(path.join(dir, 'parts'));
  await withDuckDB(async (conn) => {
    for (let p = 0; p < PARTITIONS; p++) {
      const file = path.join(dir, 'parts', `part-${String(p).padStart(2, '0')}.parquet`);
      await conn.run(
        `COPY (SELECT i AS id, (hash(i) % 1000000)::DOUBLE / 1000 AS amount, ((hash(i * 3) % 2000)::DOUBLE - 1000) / 37 AS score,
                      'c' || (hash(i * 7) % 40)::VARCHAR AS category, DATE '2024-01-01' + (i % 700)::INTEGER AS day,
                      (hash(i * 11) % 3 = 0)::INTEGER AS label
                 FROM range(${p * PART_ROWS}, ${(p + 1) * PART_ROWS}) t(i)) TO ${literal(file)} (FORMAT parquet)`,
      );
      files.push(file);
    }
  });
  for (const f of files) await s.artifacts.putFile(`inputs/${path.basename(f)}`, f);
  connection = await Connection.connect({ address: loadConfig().temporal.address });
  client = new Client({ connection });
  for (let i = 0; i < 3; i++) startWorker();
}, 180_000);

afterAll(async () => {
  for (const w of workers.values()) if (w.exitCode === null) w.kill('SIGKILL');
  await connection?.close();
  await s?.drop();
});

type Handle = ReturnType<Client['workflow']['getHandle']>;

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const advance = async (h: Handle, stage: Stage, approve = true): Promise<void> => {
  await until(`${stage} to wait`, async () => ((await h.query(statusQuery)).waitingFor === stage ? true : undefined), 300_000);
  await h.executeUpdate(advanceUpdate, { args: [approve ? { stage } : { stage, approve: false, reason: 'the test stops after validation' }] });
};

describe('three workers, one partitioned input', () => {
  it('spreads the partitions over the workers, survives a SIGKILL mid-fan-out, and merges what a single pass computes', async () => {
    const model = `scale-${randomBytes(3).toString('hex')}`;
    const uri = s.artifacts.uri(`inputs/${path.basename(files[0]!)}`).replace(/[^/]+$/, '');
    const h = await client.workflow.start(workflows.manualPipeline, {
      taskQueue,
      workflowId: `scale-${model}`,
      args: [{ name: model, data: { uri }, target: 'label' }],
    });
    await advance(h, 'ingest');
    const desc = await h.describe();
    const childId = `${h.workflowId}/partitions/${desc.runId}`;
    const child = client.workflow.getHandle(childId);

    // Kill the worker that holds a partition once at least one partition is done. The worker is frozen first
    // (SIGSTOP) and the partition checked again: a worker that finished it between the look and the kill
    // would otherwise be "killed" holding nothing.
    const held = async (): Promise<{ identity: string; activityId: string } | undefined> => {
      const pending = (await child.describe()).raw.pendingActivities ?? [];
      // State 2 is PENDING_ACTIVITY_STATE_STARTED: a worker holds it.
      const a = pending.find((x) => x.lastWorkerIdentity && Number(x.state) === 2 && workers.has(Number(x.lastWorkerIdentity.split('@')[0])));
      return a ? { identity: a.lastWorkerIdentity!, activityId: a.activityId! } : undefined;
    };
    const victim = await until(
      'a partition in flight after one completed',
      async () => {
        const completed = (await child.fetchHistory()).events?.filter((e) => e.activityTaskCompletedEventAttributes).length ?? 0;
        const seen = completed >= 1 ? await held() : undefined;
        if (!seen) return undefined;
        const worker = workers.get(Number(seen.identity.split('@')[0]))!;
        worker.kill('SIGSTOP');
        let still = false;
        try {
          await new Promise((r) => setTimeout(r, 1_000));
          still = !!(await child.describe()).raw.pendingActivities?.some(
            (a) => a.activityId === seen.activityId && a.lastWorkerIdentity === seen.identity && Number(a.state) === 2,
          );
        } finally {
          if (!still) worker.kill('SIGCONT');
        }
        return still ? seen : undefined;
      },
      240_000,
    );
    const pid = Number(victim.identity.split('@')[0]);
    expect(workers.has(pid), `${victim.identity} is one of this test's workers`).toBe(true);
    workers.get(pid)!.kill('SIGKILL');

    await advance(h, 'validate');
    await advance(h, 'govern', false);
    const result = (await h.result()) as RunResult;
    expect(result.dataset).toMatchObject({ rows: PARTITIONS * PART_ROWS });
    expect(result.validation?.passed).toBe(true);

    // The fan-out ran with the manual run's priority and the model as fairness key.
    expect((await child.describe()).raw.workflowExecutionInfo?.priority).toMatchObject({ priorityKey: 2, fairnessKey: model });

    // Who completed which partition, from the child's history.
    const history = await child.fetchHistory();
    const completed = (history.events ?? [])
      .filter((e) => e.activityTaskCompletedEventAttributes)
      .map((e) => {
        const a = e.activityTaskCompletedEventAttributes!;
        const r = defaultPayloadConverter.fromPayload<PartitionResult>(a.result!.payloads![0]!);
        return { index: r.index, identity: a.identity! };
      });
    expect(completed.map((c) => c.index).sort((a, b) => a - b)).toEqual([...Array(PARTITIONS).keys()]);
    const identities = new Set(completed.map((c) => c.identity));
    expect(identities.size).toBeGreaterThanOrEqual(2);
    // The killed worker's partition was finished by another worker.
    const scheduled = (history.events ?? []).find((e) => e.activityTaskScheduledEventAttributes?.activityId === victim.activityId)!;
    const lost = defaultPayloadConverter.fromPayload<{ partition: { index: number } }>(scheduled.activityTaskScheduledEventAttributes!.input!.payloads![0]!)
      .partition.index;
    expect(completed.find((c) => c.index === lost)!.identity).not.toBe(victim.identity);

    // Lineage: one complete execution and one partition artifact per partition, none twice.
    const parts = await s.pool.query(
      `SELECT count(*)::int AS n, count(DISTINCT key)::int AS k FROM executions WHERE stage = 'ingest-partition' AND status = 'complete'`,
    );
    expect(parts.rows[0]).toEqual({ n: PARTITIONS, k: PARTITIONS });
    const artifacts = await s.pool.query(`SELECT count(*)::int AS n FROM artifacts WHERE type = 'DatasetPartition'`);
    expect(artifacts.rows[0].n).toBe(PARTITIONS);

    // The merged statistics against a single pass over the input files.
    const statsUri = (await h.query(statusQuery)).artifacts.statistics!;
    const merged = JSON.parse((await s.artifacts.getBuffer(s.artifacts.keyOf(statsUri))).toString('utf8')) as DatasetStatistics;
    await withDuckDB(async (conn) => {
      const table = `read_parquet([${files.map(literal).join(', ')}])`;
      const single = await computeStatistics(conn, table, result.dataset!.columns);
      const seen = await expectAgreement(conn, table, merged, single);
      console.log(
        `scale-out: ${identities.size} workers completed partitions; killed ${victim.identity} holding partition ${lost}; merged vs single pass ${JSON.stringify(seen)}`,
      );
    });
  }, 600_000);
});
