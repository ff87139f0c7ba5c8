// Batch scoring and feature materialization of partitioned inputs on a real worker, MinIO and Postgres: one
// activity per partition (read from the workflow history), the same scores and the same offline and online
// rows as one pass over the whole input, content-addressed merges, lineage per partition, and a partition
// (or the commit) that fails after its work is done and is retried writes nothing twice.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { defaultPayloadConverter } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { literal, withDuckDB } from '../../core/data/duckdb';
import { writeSynthCsv } from '../../core/data/synth';
import { applyFeatureSet } from '../../core/featurestore';
import { seededRandom } from '../../core/random';
import { parseSpec } from '../../core/spec';
import { featuresScoreCommand } from '../../starters/feature-commands';
import type { BatchScoreOutput } from '../../workflows/batch-score';
import { workflows } from '../../workflows/contracts';
import type { materializeFeatures } from '../../workflows/materialize';
import { isolatedStores } from '../support/isolated-stores';
import { startTestWorker, type TestWorker } from '../support/worker';
import type { trainStages } from '../support/workflows/train-stages';

let s: Awaited<ReturnType<typeof isolatedStores>>;
let w: TestWorker;
const dir = mkdtempSync(path.join(os.tmpdir(), 'mlops-fanout-score-'));
const train = path.join(dir, 'train.csv');
const table = path.join(dir, 'score.csv');
const parts = path.join(dir, 'parts');
const source = path.join(dir, 'stats.csv');
const ROWS = 24_000;
const model = 'fanout-churn';

// Activities that fail once, on their first attempt, after their work is done (an answer lost on the way back).
const failOnce = new Set<string>();
const lose = (name: string): void => {
  if (failOnce.has(name) && Context.current().info.attempt === 1) throw new Error(`${name}: the answer was lost after the work was done`);
};

beforeAll(async () => {
  s = await isolatedStores('fanoutscore');
  w = await startTestWorker(s, 'fanoutscore', {
    wrap: (a) => ({
      ...a,
      scorePartition: async (input) => {
        const r = await a.scorePartition(input);
        lose(`scorePartition/${input.partition.index}`);
        return r;
      },
      materializePartition: async (input) => {
        const r = await a.materializePartition(input);
        lose(`materializePartition/${input.partition.index}`);
        return r;
      },
      commitMaterialization: async (input) => {
        const r = await a.commitMaterialization(input);
        lose(`commitMaterialization/${input.plan.name}`);
        return r;
      },
    }),
  });
  await writeSynthCsv(train, { rows: 3000, seed: 3 });
  await writeSynthCsv(table, { rows: ROWS, seed: 11 });
  // The same rows as three Parquet files of unequal size.
  mkdirSync(parts);
  await withDuckDB(async (conn) => {
    const cuts = [0, 5_000, 15_000, ROWS];
    for (let p = 0; p < 3; p++) {
      await conn.run(
        `COPY (SELECT * FROM read_csv(${literal(table)}) LIMIT ${cuts[p + 1]! - cuts[p]!} OFFSET ${cuts[p]}) TO ${literal(path.join(parts, `part-${p}.parquet`))} (FORMAT parquet)`,
      );
    }
  });
  await w.client.workflow.execute<typeof trainStages>('trainStages', {
    taskQueue: w.taskQueue,
    workflowId: `fanout-train-${randomBytes(4).toString('hex')}`,
    args: [parseSpec({ name: model, data: { uri: train }, target: 'churned', features: { exclude: ['customer_id'] }, training: { l2: [1], seed: 7 } })],
  });
}, 300_000);

afterAll(async () => {
  await w?.stop();
  await s?.drop();
  rmSync(dir, { recursive: true, force: true });
});

async function readRows(uri: string, order = ''): Promise<Record<string, unknown>[]> {
  const file = path.join(dir, `read-${randomBytes(4).toString('hex')}.parquet`);
  await s.artifacts.getFile(s.artifacts.keyOf(uri), file);
  return withDuckDB(async (conn) => (await conn.runAndReadAll(`SELECT * FROM read_parquet(${literal(file)}) ${order}`)).getRowObjectsJS());
}

/** The activities of `type` a workflow's history scheduled: their inputs, and the attempt each completed on. */
async function activitiesOf<T>(workflowId: string, type: string): Promise<{ input: T; attempt: number }[]> {
  const events = (await w.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const scheduled = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === type);
  return scheduled.map((e) => {
    const started = events.find(
      (x) => x.activityTaskStartedEventAttributes && Number(x.activityTaskStartedEventAttributes.scheduledEventId) === Number(e.eventId),
    );
    return {
      input: defaultPayloadConverter.fromPayload<T>(e.activityTaskScheduledEventAttributes!.input!.payloads![0]!),
      attempt: started?.activityTaskStartedEventAttributes?.attempt ?? 0,
    };
  });
}

const score = async (input: Record<string, unknown>): Promise<{ result: BatchScoreOutput; workflowId: string; runId: string }> => {
  const workflowId = `fanout-score-${randomBytes(4).toString('hex')}`;
  const handle = await w.client.workflow.start(workflows.batchScore, { taskQueue: w.taskQueue, workflowId, args: [{ model, version: 1, ...input }] });
  return { result: (await handle.result()) as BatchScoreOutput, workflowId, runId: handle.firstExecutionRunId };
};

describe('partitioned batch scoring', () => {
  it('scores a file split into partitions, one activity each, exactly as one activity scores the whole file', async () => {
    const single = await score({ table });
    expect(single.result).toMatchObject({ rows: ROWS, version: 1, missingFields: [] });
    expect(single.result.partitions).toBeUndefined();

    failOnce.add('scorePartition/1');
    const split = await score({ table, partitionRows: 10_000 });
    expect(split.result).toMatchObject({ rows: ROWS, version: 1, partitions: 3, columns: single.result.columns });
    const ran = await activitiesOf<{ partition: { index: number; rows: { start: number; count: number } } }>(
      `${split.workflowId}/partitions/${split.runId}`,
      'scorePartition',
    );
    expect(ran.map((r) => r.input.partition.rows)).toEqual([
      { start: 0, count: 8_000 },
      { start: 8_000, count: 8_000 },
      { start: 16_000, count: 8_000 },
    ]);
    // Partition 1 failed once after storing its scores: retried, and its rows are in the result once.
    expect(ran.map((r) => r.attempt)).toEqual([1, 2, 1]);

    const [a, b] = [await readRows(single.result.ref.uri), await readRows(split.result.ref.uri)];
    expect(b).toHaveLength(ROWS);
    expect(b.map((r) => r.row)).toEqual(a.map((r) => r.row));
    expect(b).toEqual(a);
    // One row group either way: the merged file is byte for byte the single pass's.
    expect(split.result.ref.sha256).toBe(single.result.ref.sha256);

    // Lineage: one complete execution per partition, each with its scores artifact, all inputs of the merge.
    const execs = await s.pool.query(
      `SELECT count(*)::int AS n, count(DISTINCT key)::int AS k FROM executions WHERE stage = 'batch-score-partition' AND status = 'complete'`,
    );
    expect(execs.rows[0]).toEqual({ n: 3, k: 3 });
    const merged = await s.pool.query(
      `SELECT count(*)::int AS n FROM events e JOIN artifacts a ON a.id = e.artifact_id JOIN executions x ON x.id = e.execution_id
        JOIN events o ON o.execution_id = x.id AND o.type = 'output' JOIN artifacts p ON p.id = o.artifact_id
        WHERE x.stage = 'batch-score' AND e.type = 'input' AND a.type = 'ScoresPartition' AND p.sha256 = $1`,
      [split.result.ref.sha256],
    );
    expect(merged.rows[0].n).toBe(3);
  }, 300_000);

  it('gives the same sha256 for the same partitions, and scores a directory of files with rows numbered across them', async () => {
    const again = await score({ table, partitionRows: 10_000 });
    const first = await score({ table, partitionRows: 10_000 });
    expect(again.result.ref.sha256).toBe(first.result.ref.sha256);
    const fromDir = await score({ table: parts });
    expect(fromDir.result).toMatchObject({ rows: ROWS, partitions: 3 });
    const single = await score({ table });
    const rows = await readRows(fromDir.result.ref.uri);
    expect(rows).toEqual(await readRows(single.result.ref.uri));

    // The CLI hands a partitioned table to the workers (here, this file's worker and its task queue).
    Object.assign(process.env, { MLOPS_DB_SCHEMA: s.schema, MLOPS_S3_PREFIX: s.artifacts.prefix, MLOPS_TASK_QUEUE: w.taskQueue });
    const lines: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
    try {
      expect(await featuresScoreCommand({ model, table: parts, version: '1', json: true }, [])).toBe(0);
    } finally {
      log.mockRestore();
    }
    expect(JSON.parse(lines.join('\n'))).toMatchObject({ rows: ROWS, partitions: 3, ref: { sha256: fromDir.result.ref.sha256 } });
  }, 300_000);
});

describe('partitioned materialization', () => {
  const ENTITIES = 1_500;
  const SOURCE_ROWS = 20_000;
  const T0 = Date.UTC(2024, 0, 1);

  beforeAll(async () => {
    const random = seededRandom(9);
    const lines = ['customer_id,updated_at,spend,plan'];
    for (let i = 0; i < SOURCE_ROWS; i++) {
      const at = new Date(T0 + Math.floor(random() * 90 * 24) * 3_600_000).toISOString().replace('T', ' ').replace('Z', '');
      const entity = i % 997 === 0 ? '' : `c${1 + Math.floor(random() * ENTITIES)}`;
      lines.push(`${entity},${at},${(random() * 100).toFixed(2)},${['free', 'pro'][Math.floor(random() * 2)]}`);
    }
    // One entity and time on both sides of the partition boundaries (rows 5,000 / 10,000 of 4 × 5,000): the later row wins.
    for (const cut of [5_000, 10_000]) lines[cut + 1] = lines[cut]!.replace(/,[^,]*,[^,]*$/, ',12.34,pro');
    writeFileSync(source, `${lines.join('\n')}\n`);
    for (const name of ['stats_single', 'stats_parts']) {
      await applyFeatureSet(s, {
        name,
        entity: 'customer_id',
        timestamp: 'updated_at',
        source: { uri: source },
        columns: ['spend', 'plan'],
        features: { derive: [{ name: 'log_spend', op: 'log1p', input: 'spend' }] },
      });
    }
  }, 60_000);

  const materialize = async (input: Parameters<typeof materializeFeatures>[0]) => {
    const workflowId = `fanout-materialize-${randomBytes(4).toString('hex')}`;
    const handle = await w.client.workflow.start(workflows.materializeFeatures, { taskQueue: w.taskQueue, workflowId, args: [input] });
    return { result: (await handle.result()) as Awaited<ReturnType<typeof materializeFeatures>>, workflowId, runId: handle.firstExecutionRunId };
  };

  const online = async (name: string) =>
    (
      await s.pool.query<{ entity: string; event_time: Date; feature_values: unknown }>(
        'SELECT entity, event_time, feature_values FROM online_features WHERE set_name = $1 AND version = 1 ORDER BY entity',
        [name],
      )
    ).rows;

  it('gives the offline rows and online store of one pass, with a partition and the commit each retried once', async () => {
    const single = (await materialize({ sets: [{ name: 'stats_single' }] })).result.sets[0]!;
    expect(single.rows).toBeGreaterThan(0);
    failOnce.add('materializePartition/2');
    failOnce.add('commitMaterialization/stats_parts');
    const run = await materialize({ sets: [{ name: 'stats_parts' }], partitionRows: 5_000 });
    const split = run.result.sets[0]! as typeof single & { partitions: number; alreadyCommitted: boolean };
    expect(split).toMatchObject({ partitions: 4, rows: single.rows, entities: single.entities, watermark: single.watermark, skipped: single.skipped });
    expect(split.skipped.duplicates).toBeGreaterThanOrEqual(2);
    // The commit's retry found its own materialization and wrote nothing twice.
    expect(split.alreadyCommitted).toBe(true);
    const ran = await activitiesOf<{ partition: { index: number } }>(`${run.workflowId}/partitions/0/${run.runId}`, 'materializePartition');
    expect(ran.map((r) => [r.input.partition.index, r.attempt])).toEqual([
      [0, 1],
      [1, 1],
      [2, 2],
      [3, 1],
    ]);

    // The merged part is byte for byte the single pass's part.
    expect(split.part!.sha256).toBe(single.part!.sha256);
    const order = 'ORDER BY customer_id, updated_at';
    expect(await readRows(split.part!.uri, order)).toEqual(await readRows(single.part!.uri, order));
    const [a, b] = [await online('stats_single'), await online('stats_parts')];
    expect(b).toHaveLength(single.entities);
    expect(b).toEqual(a);
    const committed = await s.pool.query(`SELECT count(*)::int AS n, sum(rows)::int AS rows FROM feature_materializations WHERE set_name = 'stats_parts'`);
    expect(committed.rows[0]).toEqual({ n: 1, rows: single.rows });
    // Lineage: every partition's rows are an input of the materialization that wrote the part.
    const inputs = await s.pool.query(
      `SELECT count(*)::int AS n FROM events e JOIN artifacts a ON a.id = e.artifact_id JOIN executions x ON x.id = e.execution_id
        WHERE x.key = $1 AND e.type = 'input' AND a.type = 'FeatureSetPartition'`,
      [`featurestore/materialize/stats_parts/1/${split.part!.sha256}`],
    );
    expect(inputs.rows[0].n).toBe(4);

    // Nothing new past the watermark: a second run writes nothing, partitioned or not.
    const again = (await materialize({ sets: [{ name: 'stats_parts' }], partitionRows: 5_000 })).result.sets[0]!;
    expect(again).toMatchObject({ rows: 0, part: null, skipped: { behindWatermark: SOURCE_ROWS - single.skipped.missingKey } });
  }, 300_000);
});
