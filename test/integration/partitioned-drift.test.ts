// `mlops drift` over partitioned data on a real worker, MinIO and Postgres: a directory of Parquet files and a
// file above --partition-rows are summarized one activity per partition, and the merged drift agrees with the
// single pass over the same rows within the documented bounds (KS D within the sketches' rank errors).
import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { literal, withDuckDB } from '../../core/data/duckdb';
import { compareDatasets } from '../../core/stats/compare-datasets';
import { kllRankErrorBound } from '../../core/stats/sketch/kll';
import { mlopsAsync } from '../support/cli';
import { isolatedStores } from '../support/isolated-stores';
import { startTestWorker, type TestWorker } from '../support/worker';

let s: Awaited<ReturnType<typeof isolatedStores>>;
let w: TestWorker;
const dir = mkdtempSync(path.join(os.tmpdir(), 'mlops-pdrift-'));
const reference = path.join(dir, 'reference.parquet');
const currentFile = path.join(dir, 'current.parquet');
const currentDir = path.join(dir, 'current');
const PARTS = 4;
const PART_ROWS = 250_000;

const rows = (from: number, to: number, shift: number): string =>
  `SELECT (hash(i) % 100000)::DOUBLE / 1000 + ${shift} AS amount, ((hash(i * 3) % 2000)::DOUBLE - 1000) / 37 * ${1 + shift} AS score,
          (hash(i * 5) % ${shift > 0 ? 4 : 3})::INTEGER AS grade, 'city' || (hash(i * 7) % ${shift > 0 ? 60 : 50})::VARCHAR AS city
     FROM range(${from}, ${to}) t(i)`;

beforeAll(async () => {
  s = await isolatedStores('pdrift');
  w = await startTestWorker(s, 'pdrift');
  mkdirSync(currentDir);
  await withDuckDB(async (conn) => {
    await conn.run(`COPY (${rows(0, 200_000, 0)}) TO ${literal(reference)} (FORMAT parquet)`);
    await conn.run(`COPY (${rows(1_000_000, 1_000_000 + PARTS * PART_ROWS, 0.2)}) TO ${literal(currentFile)} (FORMAT parquet)`);
    for (let p = 0; p < PARTS; p++) {
      const file = path.join(currentDir, `part-${p}.parquet`);
      await conn.run(
        `COPY (SELECT * FROM read_parquet(${literal(currentFile)}) LIMIT ${PART_ROWS} OFFSET ${p * PART_ROWS}) TO ${literal(file)} (FORMAT parquet)`,
      );
    }
  });
}, 180_000);

afterAll(async () => {
  await w?.stop();
  await s?.drop();
});

interface CliDrift {
  columns: { name: string; type: string; method: string; statistic: number; drifted: boolean }[];
  partitions: { reference: number; current: number };
  rows: { reference: number; current: number };
  bounds: { rankError: number; columns: { name: string; ks: number; wasserstein: number }[] };
  report: { json: string; html: string };
}

const env = (): NodeJS.ProcessEnv => ({ MLOPS_TASK_QUEUE: w.taskQueue, MLOPS_S3_PREFIX: s.artifacts.prefix, MLOPS_DB_SCHEMA: s.schema });

async function cliDrift(current: string, method: string, extra: string[] = []): Promise<CliDrift> {
  const r = await mlopsAsync(['drift', '--reference', reference, '--current', current, '--method', method, '--json', ...extra], env(), 300_000);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as CliDrift;
}

describe('mlops drift over partitioned data', () => {
  it('summarizes a directory one activity per partition and agrees with the single pass (KS D within the rank error)', async () => {
    const merged = await cliDrift(currentDir, 'ks');
    const single = (await compareDatasets(reference, currentFile, { method: 'ks' })).report;
    expect(merged.partitions).toEqual({ reference: 1, current: PARTS });
    expect(merged.rows).toEqual({ reference: 200_000, current: PARTS * PART_ROWS });
    expect(merged.bounds.rankError).toBeCloseTo(kllRankErrorBound(2048), 12);
    expect(merged.columns.map((c) => [c.name, c.type, c.method])).toEqual(single.columns.map((c) => [c.name, c.type, c.method]));
    for (const [i, m] of merged.columns.entries()) {
      const d = single.columns[i]!;
      if (m.type === 'categorical') expect(m.statistic).toBeCloseTo(d.statistic, 9);
      else expect(Math.abs(m.statistic - d.statistic)).toBeLessThanOrEqual(merged.bounds.columns.find((b) => b.name === m.name)!.ks);
    }
    // One lineage execution per partition, none twice.
    const parts = await s.pool.query(
      `SELECT count(*)::int AS n, count(DISTINCT key)::int AS k FROM executions WHERE stage = 'drift-partition' AND status = 'complete'`,
    );
    expect(parts.rows[0]).toEqual({ n: PARTS + 1, k: PARTS + 1 });
    expect(JSON.parse((await s.artifacts.getBuffer(s.artifacts.keyOf(merged.report.json))).toString('utf8'))).toMatchObject({
      columns: expect.any(Array) as unknown,
    });
    console.log(
      `partitioned drift (ks): ${merged.columns.map((c, i) => `${c.name} ${c.statistic.toPrecision(5)} vs ${single.columns[i]!.statistic.toPrecision(5)}`).join('; ')}`,
    );
  }, 300_000);

  it('splits a file above --partition-rows on row ranges, and auto (Wasserstein, Jensen–Shannon) agrees within its bounds', async () => {
    const merged = await cliDrift(currentFile, 'auto', ['--partition-rows', String(PART_ROWS)]);
    const single = (await compareDatasets(reference, currentFile, { method: 'auto' })).report;
    expect(merged.partitions).toEqual({ reference: 1, current: PARTS });
    for (const [i, m] of merged.columns.entries()) {
      const d = single.columns[i]!;
      expect([m.name, m.method]).toEqual([d.name, d.method]);
      if (m.type === 'categorical') expect(m.statistic).toBeCloseTo(d.statistic, 9);
      else expect(Math.abs(m.statistic - d.statistic)).toBeLessThanOrEqual(merged.bounds.columns.find((b) => b.name === m.name)!.wasserstein);
      expect(m.drifted).toBe(d.drifted);
    }
    console.log(
      `partitioned drift (auto): ${merged.columns.map((c, i) => `${c.name} ${c.method} ${c.statistic.toPrecision(5)} vs ${single.columns[i]!.statistic.toPrecision(5)}`).join('; ')}`,
    );
  }, 300_000);
});
