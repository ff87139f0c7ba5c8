// Partitioned inputs through the pipeline's ingest stage on a real worker, MinIO and Postgres: an s3:// prefix
// and a local directory become one content-addressed dataset version over per-partition artifacts, the
// merged statistics agree with a single pass over the same rows, and lineage records every partition.
import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ValidationResult } from '../../core/data/validate';
import type { DatasetRef } from '../../core/data/ingest';
import { literal, withDuckDB } from '../../core/data/duckdb';
import { withDatasetTable } from '../../core/data/dataset-table';
import { computeStatistics, type DatasetStatistics } from '../../core/data/statistics';
import { planPartitions } from '../../core/data/partitions';
import { writeSynthCsv } from '../../core/data/synth';
import { parseS3Uri } from '../../core/store/artifacts';
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

const run = (uri: string, model: string) =>
  w.client.workflow.execute('partitionedIngestAndValidate', {
    taskQueue: w.taskQueue,
    workflowId: `partitioned-${model}-${Date.now()}`,
    args: [{ uri, model, rules: { target: 'churned' } }],
  }) as Promise<{ dataset: DatasetRef; validation: ValidationResult }>;

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
});
