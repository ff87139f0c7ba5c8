// The feature store wired into the platform, on real services: a CT run with features.sets materializes the
// set and trains on the point-in-time join of the labelled events (rows, columns, values, lineage), and a set over
// a directory is materialized one activity per file into the same training set; the model
// server fills a request that carries only the entity key from the online store, at the trained set version;
// batch scoring writes one row per entity with the deployed version; the materializeFeatures workflow keeps
// the online store current.
import { randomInt } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../core/config';
import { literal, withDuckDB } from '../../core/data/duckdb';
import { applyFeatureSet, getOnlineFeatures, listFeatureSets } from '../../core/featurestore';
import { batchScore } from '../../core/featurestore/batch-score';
import { seededRandom } from '../../core/random';
import { startServing, type RunningServer } from '../../serving/main';
import { featuresScoreCommand } from '../../starters/feature-commands';
import { mlopsAsync } from '../support/cli';
import { isolatedStores } from '../support/isolated-stores';
import { waitFor } from '../support/wait';
import { expectFailure, startTestWorker, type TestWorker } from '../support/worker';
import { type RunResult, workflows } from '../../workflows/contracts';

let s: Awaited<ReturnType<typeof isolatedStores>>;
let w: TestWorker;
let server: RunningServer;
const dir = mkdtempSync(path.join(os.tmpdir(), 'mlops-feature-pipeline-'));
const statsCsv = path.join(dir, 'customer_stats.csv');
const eventsCsv = path.join(dir, 'events.csv');
const DAY = 86_400_000;
const T0 = Date.UTC(2024, 0, 1);
const iso = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
const CUSTOMERS = 200;

interface StatRow {
  customer_id: string;
  at: number;
  avg_spend: number;
  visits: number;
  plan: string;
}
const stats: StatRow[] = [];
const events: { customer_id: string; at: number; channel: string; churned: number }[] = [];

/** The feature row in force at `at` for a customer (the latest at or before it). */
const asOf = (customer: string, at: number): StatRow | undefined =>
  stats.filter((r) => r.customer_id === customer && r.at <= at).reduce<StatRow | undefined>((a, b) => (!a || b.at > a.at ? b : a), undefined);

const model = 'fs-churn';
const spec = {
  name: model,
  data: { uri: eventsCsv },
  target: 'churned',
  time: 'event_time',
  features: { sets: [{ name: 'customer_stats' }], entity: 'customer_id' },
  training: { trials: 2 },
  monitor: { enabled: false },
};

async function predict(
  instances: Record<string, unknown>[],
): Promise<{ status: number; body: { predictions: { label: string; probabilities: Record<string, number> }[]; model_version: string; error?: string } }> {
  const res = await fetch(`${server.url}/v1/models/${model}:predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ instances }),
  });
  return { status: res.status, body: (await res.json()) as never };
}

async function readParquet(uri: string): Promise<Record<string, unknown>[]> {
  const file = path.join(dir, `read-${Math.random().toString(36).slice(2)}.parquet`);
  await s.artifacts.getFile(s.artifacts.keyOf(uri), file);
  return withDuckDB(async (conn) => (await conn.runAndReadAll(`SELECT * FROM read_parquet(${literal(file)})`)).getRowObjectsJS());
}

/** customer_stats rows as CSV text, header first. */
const statsCsvText = (rows: typeof stats): string =>
  `customer_id,updated_at,avg_spend,visits,plan\n${rows.map((r) => `${r.customer_id},${iso(r.at)},${r.avg_spend},${r.visits},${r.plan}`).join('\n')}\n`;

/** The customer_stats feature set over `uri` (a file, or a directory of its partitions). */
const customerStats = (name: string, uri: string) => ({
  name,
  entity: 'customer_id',
  timestamp: 'updated_at',
  source: { uri },
  columns: ['avg_spend', 'visits', 'plan'],
  features: { derive: [{ name: 'log_spend', op: 'log1p' as const, input: 'avg_spend' }] },
});

beforeAll(async () => {
  s = await isolatedStores('fspipeline');
  // Spend changes over time and decides churn as of each event: a join that leaked later values would not match.
  const random = seededRandom(5);
  const plans = ['free', 'pro', 'team'];
  for (let c = 1; c <= CUSTOMERS; c++) {
    for (const d of [0, 10, 20]) {
      stats.push({
        customer_id: `c${c}`,
        at: T0 + d * DAY + Math.floor(random() * 24) * 3_600_000,
        avg_spend: Math.round(random() * 10_000) / 100,
        visits: Math.floor(random() * 30),
        plan: plans[Math.floor(random() * 3)]!,
      });
    }
  }
  for (let i = 0; i < 1_500; i++) {
    const customer = `c${1 + Math.floor(random() * CUSTOMERS)}`;
    const at = T0 + DAY + Math.floor(random() * 29 * 24) * 3_600_000 + 1_800_000;
    const spend = asOf(customer, at)!.avg_spend;
    events.push({ customer_id: customer, at, channel: random() < 0.5 ? 'web' : 'app', churned: spend < 40 !== random() < 0.05 ? 1 : 0 });
  }
  writeFileSync(statsCsv, statsCsvText(stats));
  writeFileSync(
    eventsCsv,
    `customer_id,event_time,channel,churned\n${events.map((e) => `${e.customer_id},${iso(e.at)},${e.channel},${e.churned}`).join('\n')}\n`,
  );
  await applyFeatureSet(s, customerStats('customer_stats', statsCsv));
  server = await startServing(loadConfig({ ...process.env, MLOPS_DB_SCHEMA: s.schema, MLOPS_S3_PREFIX: s.artifacts.prefix }), {
    address: `127.0.0.1:${randomInt(20000, 29999)}`,
  });
  w = await startTestWorker(s, 'fspipeline', { serveUrl: server.url });
}, 120_000);

afterAll(async () => {
  await w?.stop();
  await server?.close();
  await s?.drop();
  rmSync(dir, { recursive: true, force: true });
});

let first: RunResult;

describe('a CT pipeline with features.sets', () => {
  it('materializes the set, trains on the point-in-time join of the events, and records the set version it used', async () => {
    first = (await w.client.workflow.execute(workflows.continuousTrainingPipeline, {
      workflowId: `ct-${model}`,
      taskQueue: w.taskQueue,
      args: [spec],
    })) as RunResult;
    expect(first).toMatchObject({ status: 'deployed', deployed: { alias: 'production', version: 1 } });
    expect(first.spec.features).toEqual({
      sets: [{ name: 'customer_stats', version: 1, features: ['avg_spend', 'visits', 'plan', 'log_spend'] }],
      entity: 'customer_id',
      prefixed: false,
    });
    expect(first.dataset!.rows).toBe(events.length);
    expect(first.dataset!.columns.map((c) => c.name)).toEqual(['customer_id', 'event_time', 'channel', 'churned', 'avg_spend', 'visits', 'plan', 'log_spend']);
    expect(first.features!.selected).not.toContain('customer_id');
    expect(first.features!.selected).toContain('avg_spend');
    expect((await listFeatureSets(s.pool)).find((x) => x.name === 'customer_stats')).toMatchObject({ parts: 1, rows: stats.length });

    // Every event got the values in force at its own time, never later ones.
    const rows = await readParquet(first.dataset!.uri);
    rows.forEach((r, i) => {
      const expected = asOf(events[i]!.customer_id, events[i]!.at)!;
      expect([r.customer_id, r.avg_spend, r.visits, r.plan]).toEqual([events[i]!.customer_id, expected.avg_spend, expected.visits, expected.plan]);
    });

    // Lineage: events + feature-set parts → training set → the run's dataset → the model.
    const version = (await s.registry.getVersion(model, 1))!;
    expect((version.properties as { spec: { features: unknown } }).spec.features).toEqual(first.spec.features);
    const upstream = await s.lineage.upstream((await s.lineage.artifactByUri(version.uri))!.id);
    const types = new Set(upstream.artifacts.map((a) => a.type));
    for (const t of ['TrainingSet', 'FeatureSetPart', 'FeatureSet', 'Dataset']) expect(types).toContain(t);
    const trainingSet = upstream.artifacts.find((a) => a.type === 'TrainingSet')!;
    const joinedFrom = await s.lineage.upstream(trainingSet.id);
    const events_ = joinedFrom.artifacts.find((a) => a.type === 'Dataset')!;
    expect(events_.properties).toMatchObject({ sourceUri: eventsCsv, rows: events.length });
    expect(joinedFrom.artifacts.filter((a) => a.type === 'FeatureSetPart').length).toBe(1);
    expect(upstream.executions.map((x) => x.stage)).toEqual(expect.arrayContaining(['materialize', 'training-set', 'train']));
  }, 180_000);

  it('skips a second run when nothing is new: the join of the same events and parts is the same dataset', async () => {
    const again = (await w.client.workflow.execute(workflows.continuousTrainingPipeline, {
      workflowId: `ct-${model}`,
      taskQueue: w.taskQueue,
      args: [spec],
    })) as RunResult;
    expect(again.status).toBe('skipped');
    expect(again.dataset!.sha256).toBe(first.dataset!.sha256);
    expect((await listFeatureSets(s.pool)).find((x) => x.name === 'customer_stats')!.parts).toBe(1);
  }, 120_000);

  it('fails with InvalidSpec naming an unregistered set, and events without the entity column', async () => {
    const unknown = await expectFailure(
      w.client.workflow.execute(workflows.continuousTrainingPipeline, {
        workflowId: 'ct-fs-unknown',
        taskQueue: w.taskQueue,
        args: [{ ...spec, name: 'fs-unknown', features: { sets: [{ name: 'nope' }], entity: 'customer_id' } }],
      }),
    );
    expect(unknown).toMatchObject({ type: 'InvalidSpec', message: 'feature set "nope" is not registered; register it with `mlops features apply FILE`' });
    const noEntity = await expectFailure(
      w.client.workflow.execute(workflows.continuousTrainingPipeline, {
        workflowId: 'ct-fs-noentity',
        taskQueue: w.taskQueue,
        args: [{ ...spec, name: 'fs-noentity', features: { sets: [{ name: 'customer_stats' }], entity: 'client' } }],
      }),
    );
    expect(noEntity.type).toBe('InvalidSpec');
    expect(noEntity.message).toBe(`events ${eventsCsv} have no entity column "client" (columns: customer_id, event_time, channel, churned)`);
  }, 120_000);
});

/** The activities of `type` a workflow's history scheduled, with their inputs. */
async function scheduled<T>(workflowId: string, type: string): Promise<T[]> {
  const events = (await w.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  return events
    .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === type)
    .map((e) => defaultPayloadConverter.fromPayload<T>(e.activityTaskScheduledEventAttributes!.input!.payloads![0]!));
}

describe('a CT pipeline with features.sets whose source is partitioned', () => {
  it('materializes the set one activity per file of a directory, and trains on the same training set as one file gives', async () => {
    // The same feature rows as customer_stats, in three files: a set over the directory joins to the same table.
    const partsDir = path.join(dir, 'customer_stats_parts');
    mkdirSync(partsDir);
    for (let i = 0; i < 3; i++) {
      writeFileSync(path.join(partsDir, `part-${i}.csv`), statsCsvText(stats.slice((i * stats.length) / 3, ((i + 1) * stats.length) / 3)));
    }
    await applyFeatureSet(s, customerStats('customer_stats_parts', partsDir));
    const parted = 'fs-churn-parts';
    const r = (await w.client.workflow.execute(workflows.continuousTrainingPipeline, {
      workflowId: `ct-${parted}`,
      taskQueue: w.taskQueue,
      args: [{ ...spec, name: parted, features: { sets: [{ name: 'customer_stats_parts' }], entity: 'customer_id' } }],
    })) as RunResult;
    expect(r).toMatchObject({ status: 'deployed', deployed: { alias: 'production', version: 1 } });
    expect(r.spec.features.sets).toEqual([{ name: 'customer_stats_parts', version: 1, features: ['avg_spend', 'visits', 'plan', 'log_spend'] }]);
    // Byte for byte the dataset the single-file set gave: the merged part holds the same rows.
    expect(r.dataset).toMatchObject({ sha256: first.dataset!.sha256, rows: events.length });
    expect((await listFeatureSets(s.pool)).find((x) => x.name === 'customer_stats_parts')).toMatchObject({ parts: 1, rows: stats.length });

    // One materializePartition per file in the run's child workflow, planned and committed once by the run itself.
    const child = `ct-${parted}/materialize/0/${r.runId}`;
    const partitions = await scheduled<{ partition: { index: number; uri: string } }>(child, 'materializePartition');
    expect(partitions.map((p) => p.partition.index)).toEqual([0, 1, 2]);
    expect(await scheduled(r.workflowId, 'materializeFeatureSets')).toEqual([]);
    expect(await scheduled(r.workflowId, 'planMaterialization')).toHaveLength(1);
    expect(await scheduled(r.workflowId, 'commitMaterialization')).toEqual([expect.objectContaining({ model: parted })]);
    // The fan-out runs with the run's priority and fairness key, like the other stages.
    const started = (await w.client.workflow.getHandle(child).fetchHistory()).events![0]!.workflowExecutionStartedEventAttributes!;
    expect(started.priority).toMatchObject({ priorityKey: 2, fairnessKey: parted });

    // Lineage: the model goes back through the committed part to every partition's rows; the commit is the run's materialize stage.
    const version = (await s.registry.getVersion(parted, 1))!;
    const upstream = await s.lineage.upstream((await s.lineage.artifactByUri(version.uri))!.id);
    // (The dataset is the first run's too, content-addressed, so its lineage also reaches customer_stats' part.)
    const ofSet = (type: string) => upstream.artifacts.filter((a) => a.type === type && a.uri.includes('/customer_stats_parts/'));
    expect(ofSet('FeatureSetPartition')).toHaveLength(3);
    expect(ofSet('FeatureSetPart')).toHaveLength(1);
    expect((await s.lineage.stageRuns(parted, 'materialize')).map((x) => x.run)).toEqual([`${r.workflowId}/${r.runId}`]);
  }, 180_000);
});

describe('the model server with a model trained on feature sets', () => {
  it('answers a request carrying only the entity key like one carrying the full feature values', async () => {
    const customers = ['c1', 'c2', 'c3', 'c50', 'c199'];
    const online = await getOnlineFeatures(s.pool, { name: 'customer_stats', version: 1 }, customers);
    const byKey = await predict(customers.map((c) => ({ customer_id: c, channel: 'web' })));
    const full = await predict(customers.map((c) => ({ channel: 'web', ...online.get(c)!.values })));
    expect(byKey.status).toBe(200);
    expect(byKey.body.model_version).toBe('1');
    expect(byKey.body.predictions.map((p) => [p.label, p.probabilities])).toEqual(full.body.predictions.map((p) => [p.label, p.probabilities]));

    // Values the request carries win over stored ones.
    const override = { avg_spend: 1, log_spend: Math.log1p(1) };
    const mixed = await predict([{ customer_id: 'c1', channel: 'web', ...override }]);
    const expected = await predict([{ channel: 'web', ...online.get('c1')!.values, ...override }]);
    expect(mixed.body.predictions[0]!.probabilities).toEqual(expected.body.predictions[0]!.probabilities);

    // An unknown entity: the set's features are missing (the imputers fill them); the request still succeeds.
    const stranger = await predict([{ customer_id: 'c-unknown', channel: 'web' }]);
    const missing = await predict([{ channel: 'web', avg_spend: null, visits: null, plan: null, log_spend: null }]);
    expect(stranger.status).toBe(200);
    expect(stranger.body.predictions[0]!.probabilities).toEqual(missing.body.predictions[0]!.probabilities);

    // Neither the features nor the key: a 400 that says how to send it.
    const bad = await predict([{ channel: 'web' }]);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain('instances[0].avg_spend is missing (or send customer_id to look it up in feature set customer_stats@1)');
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/mlops_feature_lookups_total\{model="fs-churn",result="miss"\} 1/);
  });
});

describe('batch scoring', () => {
  it("scores every entity's latest offline values with the deployed version, as the server would", async () => {
    const r = await batchScore(s, { model, sets: [{ name: 'customer_stats' }], chunkRows: 64 });
    expect(r).toMatchObject({
      model,
      version: 1,
      alias: 'production',
      rows: CUSTOMERS,
      sets: [{ name: 'customer_stats', version: 1, parts: 1 }],
      missingFields: ['channel'],
    });
    expect(r.columns.map((c) => c.name)).toEqual(['customer_id', 'model_version', 'label', 'probability_0', 'probability_1']);
    const rows = await readParquet(r.ref.uri);
    expect(rows.length).toBe(CUSTOMERS);
    expect(new Set(rows.map((x) => x.customer_id)).size).toBe(CUSTOMERS);
    expect(new Set(rows.map((x) => x.model_version))).toEqual(new Set([1]));
    const sample = rows.filter((_, i) => i % 40 === 0);
    const served = await predict(sample.map((x) => ({ customer_id: x.customer_id, channel: null })));
    sample.forEach((x, i) => {
      expect(x.label).toBe(served.body.predictions[i]!.label);
      expect(x.probability_1).toBe(served.body.predictions[i]!.probabilities['1']);
    });
    const lineage = await s.lineage.upstream((await s.lineage.artifactByUri(r.ref.uri))!.id);
    expect(lineage.artifacts.map((a) => a.type).sort()).toEqual(expect.arrayContaining(['FeatureSetPart', 'Model', 'Predictions']));
  }, 60_000);

  it('mlops features score --table scores the rows of a table, joining absent set features by the entity key', async () => {
    const table = path.join(dir, 'to-score.csv');
    writeFileSync(table, 'customer_id,channel\nc1,web\nc2,app\nc-unknown,web\n');
    process.env.MLOPS_DB_SCHEMA = s.schema;
    process.env.MLOPS_S3_PREFIX = s.artifacts.prefix;
    const lines: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
    try {
      expect(await featuresScoreCommand({ model, table, json: true }, [])).toBe(0);
    } finally {
      log.mockRestore();
    }
    const out = JSON.parse(lines.join('\n'));
    expect(out).toMatchObject({ model, version: 1, rows: 3, missingFields: [], table: { uri: table } });
    const rows = await readParquet(out.ref.uri);
    const served = await predict([
      { customer_id: 'c1', channel: 'web' },
      { customer_id: 'c2', channel: 'app' },
      { customer_id: 'c-unknown', channel: 'web' },
    ]);
    expect(rows.map((x) => [x.customer_id, x.label, x.probability_1])).toEqual(
      served.body.predictions.map((p, i) => [['c1', 'c2', 'c-unknown'][i], p.label, p.probabilities['1']]),
    );
    await expect(featuresScoreCommand({ model, table, set: ['customer_stats'] }, [])).rejects.toThrow('give --set (one or more) or --table, not both');
  }, 60_000);

  it('with an as-of column, scores each row with the set values in force at its time (a backfill)', async () => {
    // Before any value, between the first two, and after the last, for a few customers.
    const times = [T0 - DAY, T0 + 5 * DAY, T0 + 15 * DAY, T0 + 25 * DAY];
    const table = path.join(dir, 'backfill.csv');
    const wanted = ['c1', 'c2', 'c77'].flatMap((c) => times.map((at) => ({ customer_id: c, at })));
    writeFileSync(table, `customer_id,channel,scored_at\n${wanted.map((r) => `${r.customer_id},web,${iso(r.at)}`).join('\n')}\n`);
    const r = await batchScore(s, { model, table, asOf: 'scored_at' });
    expect(r).toMatchObject({ rows: wanted.length, asOf: 'scored_at', missingFields: [] });
    const rows = await readParquet(r.ref.uri);
    // What the server answers for the same rows given, in full, the values of that time.
    const served = await predict(
      wanted.map(({ customer_id, at }) => {
        const v = asOf(customer_id, at);
        return {
          channel: 'web',
          avg_spend: v?.avg_spend ?? null,
          visits: v?.visits ?? null,
          plan: v?.plan ?? null,
          log_spend: v ? Math.log1p(v.avg_spend) : null,
        };
      }),
    );
    expect(rows.map((x) => [x.customer_id, x.label, x.probability_1])).toEqual(
      served.body.predictions.map((p, i) => [wanted[i]!.customer_id, p.label, p.probabilities['1']]),
    );
    // The values differ over time, so the answers do too: the latest values alone would give one answer per customer.
    expect(new Set(rows.filter((x) => x.customer_id === 'c1').map((x) => x.probability_1)).size).toBeGreaterThan(1);

    await expect(batchScore(s, { model, table, asOf: 'channel' })).rejects.toThrow(/as-of column "channel" is VARCHAR, not a DATE or TIMESTAMP/);
    await expect(batchScore(s, { model, table, asOf: 'when' })).rejects.toThrow(/has no column "when" to take the as-of time from/);
    await expect(featuresScoreCommand({ model, set: ['customer_stats'], 'as-of': 'scored_at' }, [])).rejects.toThrow(
      /--as-of names a time column of the --table/,
    );
  }, 60_000);
});

describe('materializeFeatures', () => {
  it('brings the online store up to date, and the server answers with the new values', async () => {
    const later = T0 + 40 * DAY;
    appendFileSync(statsCsv, `c1,${iso(later)},1.5,3,free\n`);
    const result = (await w.client.workflow.execute(workflows.materializeFeatures, {
      workflowId: `materialize-${randomInt(1e9)}`,
      taskQueue: w.taskQueue,
      args: [{ sets: [{ name: 'customer_stats' }] }],
    })) as { sets: { rows: number; entities: number; watermark: string }[] };
    expect(result.sets[0]).toMatchObject({ rows: 1, entities: 1, watermark: new Date(later).toISOString().replace('Z', '000Z') });
    const byKey = await predict([{ customer_id: 'c1', channel: 'web' }]);
    const stored = (await getOnlineFeatures(s.pool, { name: 'customer_stats', version: 1 }, ['c1'])).get('c1')!.values;
    expect(stored).toMatchObject({ avg_spend: 1.5, visits: 3, plan: 'free' });
    const full = await predict([{ channel: 'web', ...stored }]);
    expect(byKey.body.predictions[0]!.probabilities).toEqual(full.body.predictions[0]!.probabilities);
    const idle = (await w.client.workflow.execute(workflows.materializeFeatures, {
      workflowId: `materialize-${randomInt(1e9)}`,
      taskQueue: w.taskQueue,
      args: [{ sets: [{ name: 'customer_stats' }] }],
    })) as { sets: { rows: number }[] };
    expect(idle.sets[0]!.rows).toBe(0);
    // By name: the typed reference would refuse this input, which is wrong on purpose.
    const bad = await expectFailure(
      w.client.workflow.execute('materializeFeatures', { workflowId: `materialize-${randomInt(1e9)}`, taskQueue: w.taskQueue, args: [{}] }),
    );
    expect(bad).toMatchObject({ type: 'InvalidSpec', message: expect.stringMatching(/^materializeFeatureSets takes \{ "sets": \[/) });
  }, 60_000);

  it('runs on a schedule made with mlops schedule create features', async () => {
    const env = { MLOPS_DB_SCHEMA: s.schema, MLOPS_S3_PREFIX: s.artifacts.prefix, MLOPS_TASK_QUEUE: w.taskQueue };
    const id = `features-test-${randomInt(1e9)}`;
    expect(await mlopsAsync(['schedule', 'create', 'features', '--every', '1h', '--id', id], env)).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/needs at least one --set/),
    });
    expect(await mlopsAsync(['schedule', 'create', 'features', '--set', 'Bad Name', '--every', '1h', '--id', id], env)).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--set "Bad Name" must be NAME or NAME@VERSION/),
    });
    const created = await mlopsAsync(['schedule', 'create', 'features', '--set', 'customer_stats@1', '--every', '1h', '--id', id], env);
    expect(created).toMatchObject({ code: 0, stdout: `created schedule ${id}: materializeFeatures for customer_stats@1 every 1h\n` });
    try {
      appendFileSync(statsCsv, `c2,${iso(T0 + 41 * DAY)},2.5,4,free\n`);
      expect((await mlopsAsync(['schedule', 'trigger', id], env)).code).toBe(0);
      const stored = await waitFor(
        'the scheduled materialization',
        async () => {
          const v = (await getOnlineFeatures(s.pool, { name: 'customer_stats', version: 1 }, ['c2'])).get('c2')?.values;
          return v && (v as { avg_spend?: number }).avg_spend === 2.5 ? v : undefined;
        },
        60_000,
      );
      expect(stored).toMatchObject({ avg_spend: 2.5, visits: 4 });
    } finally {
      await mlopsAsync(['schedule', 'delete', id], env);
    }
  }, 90_000);
});

describe('retraining with feedback', () => {
  it('adds labelled predictions with their features as served, the entity key and the prediction time', async () => {
    const customers = Array.from({ length: 30 }, (_, i) => `c${i + 1}`);
    const answered = await fetch(`${server.url}/v1/models/${model}:predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ instances: customers.map((c) => ({ customer_id: c, channel: 'app' })) }),
    }).then((r) => r.json() as Promise<{ predictions: { id: string }[] }>);
    const fb = await fetch(`${server.url}/v1/models/${model}:feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ labels: answered.predictions.map((p, i) => ({ id: p.id, label: String(i % 2) })) }),
    });
    expect(await fb.json()).toEqual({ accepted: 30, unknown: 0 });
    const before = Date.now();
    const r = (await w.client.workflow.execute(workflows.continuousTrainingPipeline, {
      workflowId: `ct-${model}`,
      taskQueue: w.taskQueue,
      args: [spec],
    })) as RunResult;
    expect(r).toMatchObject({ status: 'deployed', dataset: { rows: events.length + 30, feedbackRows: 30 } });
    const rows = (await readParquet(r.dataset!.uri)).slice(events.length);
    expect(rows.map((x) => x.customer_id).sort()).toEqual([...customers].sort());
    const c1 = rows.find((x) => x.customer_id === 'c1')!;
    expect(c1).toMatchObject({ channel: 'app', avg_spend: 1.5, plan: 'free' });
    expect(Math.abs((c1.event_time as Date).getTime() - before)).toBeLessThan(120_000);
  }, 180_000);
});
