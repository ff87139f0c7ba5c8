// Partitioned inputs through the pipeline's ingest stage on a real worker, MinIO and Postgres: an s3:// prefix
// and a local directory become one content-addressed dataset version over per-partition artifacts, the
// merged statistics agree with a single pass over the same rows, and lineage records every partition; labelled
// predictions (data.feedback) become a last partition holding the rows a single file gets appended.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ValidationResult } from '../../core/data/validate';
import type { DatasetRef } from '../../core/data/ingest';
import { literal, withDuckDB } from '../../core/data/duckdb';
import { withDatasetTable } from '../../core/data/dataset-table';
import { computeStatistics, type DatasetStatistics } from '../../core/data/statistics';
import { partitionKey, readManifest } from '../../core/data/partitioned-dataset';
import { ingestPartition } from '../../core/data/partition-ingest';
import { planPartitions } from '../../core/data/partitions';
import { SourceCache } from '../../core/data/source-cache';
import { DEFAULT_KLL_K, kllRankErrorBound } from '../../core/stats/sketch/kll';
import { writeSynthCsv } from '../../core/data/synth';
import { hashFile, parseS3Uri } from '../../core/store/artifacts';
import { isolatedStores } from '../support/isolated-stores';
import { expectAgreement } from '../support/statistics-agreement';
import { startTestWorker, type TestWorker } from '../support/worker';

let s: Awaited<ReturnType<typeof isolatedStores>>;
let w: TestWorker;
const dir = mkdtempSync(path.join(os.tmpdir(), 'mlops-partitioned-'));
const local = path.join(dir, 'parts');
const csv = path.join(dir, 'churn.csv');
const ROWS = 120_000;
let prefixUri: string;

beforeAll(async () => {
  s = await isolatedStores('partitioned');
  w = await startTestWorker(s, 'partitioned');
  await writeSynthCsv(csv, { rows: ROWS, seed: 7 });
  mkdirSync(local);
  // Three Parquet partitions of unequal size, also uploaded under an s3:// prefix.
  await withDuckDB(async (conn) => {
    const cuts = [0, 30_000, 75_000, ROWS];
    for (let p = 0; p < 3; p++) {
      await conn.run(
        `COPY (SELECT * FROM read_csv(${literal(csv)}) LIMIT ${cuts[p + 1]! - cuts[p]!} OFFSET ${cuts[p]}) TO ${literal(path.join(local, `part-${p}.parquet`))} (FORMAT parquet)`,
      );
    }
  });
  for (let p = 0; p < 3; p++) await s.artifacts.putFile(`inputs/part-${p}.parquet`, path.join(local, `part-${p}.parquet`));
  prefixUri = s.artifacts.uri('inputs/part-0.parquet').replace(/part-0\.parquet$/, '');
}, 180_000);

afterAll(async () => {
  await w?.stop();
  await s?.drop();
});

const run = (uri: string, model: string, feedback?: { target: string; protected: string[]; maxShare?: number }) =>
  w.client.workflow.execute('partitionedIngestAndValidate', {
    taskQueue: w.taskQueue,
    workflowId: `partitioned-${model}-${randomUUID()}`,
    args: [{ uri, model, rules: { target: 'churned' }, ...(feedback ? { feedback } : {}) }],
  }) as Promise<{ dataset: DatasetRef; validation: ValidationResult }>;

/** The rows of a stored Parquet artifact from row `offset` on, in file order. */
async function rowsOf(uri: string, offset = 0): Promise<Record<string, unknown>[]> {
  const file = path.join(dir, `read-${randomUUID()}.parquet`);
  await s.artifacts.getFile(s.artifacts.keyOf(uri), file);
  return withDuckDB(async (conn) => (await conn.runAndReadAll(`SELECT * FROM read_parquet(${literal(file)}) OFFSET ${offset}`)).getRowObjectsJS());
}

describe('partitioned ingest', () => {
  it('ingests an s3:// prefix as one dataset version over its partitions, statistics merged as a single pass gives them', async () => {
    const { dataset, validation } = await run(prefixUri, 'prefix');
    expect(dataset).toMatchObject({ partitions: 3, rows: ROWS, sourceUri: prefixUri });
    expect(dataset.uri).toBe(s.artifacts.uri(`datasets/${dataset.sha256}.json`));
    expect(validation.passed).toBe(true);
    const merged = JSON.parse((await s.artifacts.getBuffer(s.artifacts.keyOf(validation.statistics.uri))).toString('utf8')) as DatasetStatistics;
    // The single pass: today's statistics over the same rows, read through the dataset's own relation.
    await withDatasetTable(s.artifacts, dataset, async (conn, table) => {
      const single = await computeStatistics(conn, table, dataset.columns);
      const seen = await expectAgreement(conn, table, merged, single);
      console.log(`merged vs single pass (${ROWS} rows, 3 partitions): ${JSON.stringify(seen)}`);
    });
    const parts = await s.pool.query(
      `SELECT count(*)::int AS n, count(DISTINCT key)::int AS k FROM executions WHERE stage = 'ingest-partition' AND status = 'complete'`,
    );
    expect(parts.rows[0]).toEqual({ n: 3, k: 3 });
    const lineage = await s.pool.query(
      `SELECT count(*)::int AS n FROM events e JOIN artifacts a ON a.id = e.artifact_id JOIN executions x ON x.id = e.execution_id
        WHERE x.stage = 'ingest' AND e.type = 'input' AND a.type = 'DatasetPartition'`,
    );
    expect(lineage.rows[0].n).toBe(3);
  }, 240_000);

  it('gives the same sha256 for the same partitions read from a local directory, and checks later data against the schema', async () => {
    const first = await run(prefixUri, 'same');
    const again = await run(local, 'same');
    expect(again.dataset.sha256).toBe(first.dataset.sha256);
    expect(again.validation.schema.version).toBe(1);
    expect(again.validation.anomalies.filter((a) => a.severity === 'error')).toEqual([]);
  }, 240_000);

  it('appends labelled predictions as a last partition: the rows a single file gets, and the same sha256 for the same inputs', async () => {
    const model = 'feedback';
    const LABELLED = 40;
    const ids = Array.from({ length: LABELLED }, () => randomUUID());
    // Logged as the server logs them: dates as epoch ms; the protected column (age) comes back missing.
    await s.pool.query(
      `INSERT INTO predictions (id, at, model, version, features, output)
       SELECT id, now() - make_interval(secs => n), $2, 1, jsonb_build_object('customer_id', 1000000 + n, 'signup_date', 1577836800000 + n * 86400000,
              'age', 40, 'income', 50000 + n, 'plan', 'basic', 'region', 'north', 'tenure_months', n, 'support_calls', n % 5, 'monthly_charges', 20.5), '{}'::jsonb
         FROM unnest($1::uuid[]) WITH ORDINALITY AS t(id, n)`,
      [ids, model],
    );
    await s.pool.query(`INSERT INTO feedback (prediction_id, label) SELECT id, (n % 2)::text FROM unnest($1::uuid[]) WITH ORDINALITY AS t(id, n)`, [ids]);
    const feedback = { target: 'churned', protected: ['age'] };

    const parted = await run(local, model, feedback);
    expect(parted.dataset).toMatchObject({ partitions: 4, rows: ROWS + LABELLED, feedbackRows: LABELLED });
    expect(parted.validation.passed).toBe(true);
    const again = await run(local, model, feedback);
    expect(again.dataset.sha256).toBe(parted.dataset.sha256);
    // The input is the same partitions: only the rows count the feedback.
    const plain = await run(local, 'feedback-none');
    expect(parted.dataset.sourceSha256).toBe(plain.dataset.sourceSha256);
    expect(parted.dataset.sha256).not.toBe(plain.dataset.sha256);

    // The single-file path appends the same rows, cast to the same columns, after the same source rows.
    const single = await run(csv, model, feedback);
    expect(single.dataset).toMatchObject({ rows: ROWS + LABELLED, feedbackRows: LABELLED });
    const manifest = await readManifest(s.artifacts, parted.dataset);
    const last = manifest.partitions[3]!;
    expect(last.rows).toBe(LABELLED);
    const added = await rowsOf(s.artifacts.uri(partitionKey(last.sha256)));
    expect(added).toEqual(await rowsOf(single.dataset.uri, ROWS));

    // How the feedback rows differ from the source rows, from the partition summaries: what the single-file run
    // reports, less the dates (no sketch of them); a test both chose agrees, KS within the sketches' rank error.
    const parts = parted.dataset.feedbackDrift!;
    const whole = single.dataset.feedbackDrift!;
    expect(parts).toMatchObject({ sourceRows: ROWS, feedbackRows: LABELLED });
    expect(parts.skipped).toEqual([{ name: 'signup_date', reason: expect.stringMatching(/not compared across partitions/) }]);
    expect(parts.columns.map((c) => c.name)).toEqual(whole.columns.map((c) => c.name).filter((n) => n !== 'signup_date'));
    expect(parts.columns.map((c) => c.name)).not.toContain('age');
    for (const c of parts.columns) {
      const w = whole.columns.find((x) => x.name === c.name)!;
      if (c.method !== w.method) continue;
      if (c.method === 'ks') expect(Math.abs(c.statistic - w.statistic), c.name).toBeLessThanOrEqual(2 * kllRankErrorBound(DEFAULT_KLL_K));
      else expect(c.statistic, c.name).toBeCloseTo(w.statistic, 9);
      expect(c.drifted, c.name).toBe(w.drifted);
    }
    // Newest first: prediction 1, labelled 1; BIGINT columns read back as bigint.
    expect([added[0]!.customer_id, added[0]!.age, added[0]!.churned, added[0]!.plan]).toEqual([1000001n, null, 1n, 'basic']);

    // data.maxFeedbackShare caps them as it caps a single file's: 120,000 × 0.0001 / 0.9999 → 12.
    const capped = await run(local, model, { ...feedback, maxShare: 0.0001 });
    expect(capped.dataset).toMatchObject({ rows: ROWS + 12, feedbackRows: 12, feedbackCapped: LABELLED - 12 });
  }, 240_000);

  it('splits one file above partitionRows into row ranges that add up to the file', async () => {
    const plan = await planPartitions({ uri: csv, partitionRows: 50_000 }, { s3: s.s3, artifacts: s.artifacts });
    expect(plan?.partitions.map((p) => p.rows)).toEqual([
      { start: 0, count: 40_000 },
      { start: 40_000, count: 40_000 },
      { start: 80_000, count: 40_000 },
    ]);
    expect(parseS3Uri(plan!.partitions[0]!.uri).key).toMatch(/sources\/[0-9a-f]{64}\.csv$/);
    expect(await planPartitions({ uri: csv }, { s3: s.s3, artifacts: s.artifacts })).toBeUndefined();
  });

  /** The test's file as the object inputs/<name>, and the store's client counting whole-object downloads. */
  async function uploaded(name: string, file: string): Promise<{ uri: string; counting: typeof s.s3; downloads: () => number }> {
    const key = [s.artifacts.prefix.replace(/\/$/, ''), `inputs/${path.basename(dir)}-${name}`].filter(Boolean).join('/');
    await s.s3.fPutObject(s.artifacts.bucket, key, file);
    let downloads = 0;
    const counting = new Proxy(s.s3, {
      get: (target, prop, receiver) => {
        if (prop === 'getObject') downloads++;
        return Reflect.get(target, prop, receiver) as unknown;
      },
    });
    return { uri: `s3://${s.artifacts.bucket}/${key}`, counting, downloads: () => downloads };
  }

  it('plans a single Parquet object from its footer, without downloading it', async () => {
    const file = path.join(dir, 'churn.parquet');
    await withDuckDB((conn) => conn.run(`COPY (SELECT * FROM read_csv(${literal(csv)})) TO ${literal(file)} (FORMAT parquet)`));
    const { uri, counting, downloads } = await uploaded('churn.parquet', file);
    const split = await planPartitions({ uri, partitionRows: 50_000 }, { s3: counting, artifacts: s.artifacts });
    expect(split?.partitions.map((p) => [p.uri, p.format, p.rows])).toEqual([
      [uri, 'parquet', { start: 0, count: 40_000 }],
      [uri, 'parquet', { start: 40_000, count: 40_000 }],
      [uri, 'parquet', { start: 80_000, count: 40_000 }],
    ]);
    expect(await planPartitions({ uri }, { s3: counting, artifacts: s.artifacts })).toBeUndefined();
    expect(downloads()).toBe(0);
  });

  it('knows a small CSV object is one partition from its size, without downloading it', async () => {
    const { uri, counting, downloads } = await uploaded('small.csv', csv);
    expect(await planPartitions({ uri, partitionRows: 10_000_000 }, { s3: counting, artifacts: s.artifacts })).toBeUndefined();
    expect(downloads()).toBe(0);
    // Above 2 × partitionRows bytes the rows are counted: the object is downloaded and split.
    const split = await planPartitions({ uri, partitionRows: 50_000 }, { s3: counting, artifacts: s.artifacts });
    expect(split?.partitions).toHaveLength(3);
    expect(downloads()).toBe(1);
  });
  it('downloads a split object once for all its partitions, and again once the object changes', async () => {
    const { uri, counting, downloads } = await uploaded('cached.csv', csv);
    const plan = await planPartitions({ uri, partitionRows: 50_000 }, { s3: counting, artifacts: s.artifacts });
    expect(plan?.partitions.map((p) => p.uri)).toEqual([uri, uri, uri]);
    const parts = [];
    for (const p of plan!.partitions) parts.push(await ingestPartition(p, {}, { artifacts: s.artifacts, s3: counting }));
    // Planning counted the rows of the one download; the three partitions read that copy.
    expect(downloads()).toBe(1);
    expect(parts.map((p) => p.rows)).toEqual([40_000, 40_000, 40_000]);
    expect(new Set(parts.map((p) => p.sourceSha256))).toEqual(new Set([await hashFile(csv)]));

    // The same key with other bytes is another ETag: fetched again, and scanned as what it now is.
    const other = path.join(dir, 'other.csv');
    await writeSynthCsv(other, { rows: 1_000, seed: 8 });
    const { bucket, key } = parseS3Uri(uri);
    await s.s3.fPutObject(bucket, key, other);
    const again = await ingestPartition({ ...plan!.partitions[0]!, rows: { start: 0, count: 1_000 } }, {}, { artifacts: s.artifacts, s3: counting });
    expect(downloads()).toBe(2);
    expect(again).toMatchObject({ rows: 1_000, sourceSha256: await hashFile(other) });
  });

  it('keeps idle copies up to its limit, evicts the least recently used, and never removes a copy in use', async () => {
    const a = parseS3Uri((await uploaded('lru-a.csv', csv)).uri);
    const b = parseS3Uri((await uploaded('lru-b.csv', csv)).uri);
    const { counting, downloads } = await uploaded('lru-none.csv', csv);
    const one = (await s.s3.statObject(a.bucket, a.key)).size;
    const cache = new SourceCache(path.join(dir, 'lru'), Math.floor(one * 1.5));
    const x = await cache.acquire(counting, a.bucket, a.key);
    const y = await cache.acquire(counting, b.bucket, b.key);
    const y2 = await cache.acquire(counting, b.bucket, b.key);
    expect(downloads()).toBe(2);
    expect(y2.file).toBe(y.file);
    expect(await hashFile(x.file)).toBe(await hashFile(csv));
    x.release();
    // A is idle and within the limit: kept.
    expect(existsSync(x.file)).toBe(true);
    y.release();
    y2.release();
    // A and B idle hold twice one object, over the limit: A, used least recently, goes.
    expect([existsSync(x.file), existsSync(y.file)]).toEqual([false, true]);
    expect(cache.idleBytes()).toBe(one);
    const z = await cache.acquire(counting, b.bucket, b.key);
    expect(downloads()).toBe(2);
    cache.limitBytes = 0;
    // In use: kept whatever the limit.
    expect(existsSync(z.file)).toBe(true);
    z.release();
    expect(existsSync(z.file)).toBe(false);
  });
});
