// Ingest + validate on vega-datasets' flights-3m (3M rows): as Parquet, as CSV, and a 300k-row cut for
// the memory trend. Runs against the real local stack (`mlops up`), in a schema and prefix of its own.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../core/config';
import { literal, withDuckDB } from '../core/data/duckdb';
import { ingest } from '../core/data/ingest';
import { validateDataset } from '../core/data/validate';
import { openStores } from '../core/store';
import { migrate } from '../infra/migrate';
import { projectRoot } from '../infra/paths';
import type { Benchmark } from './harness';

const FLIGHTS = path.join(projectRoot(), 'node_modules', 'vega-datasets', 'data', 'flights-3m.parquet');
const cacheDir = path.join(os.tmpdir(), 'mlops-bench-data');

/** flights-3m as the given format and row count, made once per machine. */
async function input(format: 'parquet' | 'csv', rows: number): Promise<string> {
  if (format === 'parquet' && rows === 3_000_000) return FLIGHTS;
  mkdirSync(cacheDir, { recursive: true });
  const file = path.join(cacheDir, `flights-${rows}.${format}`);
  if (!existsSync(file)) {
    const tmp = `${file}.${process.pid}.tmp`;
    const opts = format === 'csv' ? '(HEADER)' : '(FORMAT parquet, COMPRESSION zstd)';
    await withDuckDB((c) => c.run(`COPY (SELECT * FROM read_parquet(${literal(FLIGHTS)}) LIMIT ${rows}) TO ${literal(tmp)} ${opts}`));
    await import('node:fs/promises').then((fs) => fs.rename(tmp, file));
  }
  return file;
}

function ingestValidate(name: string, format: 'parquet' | 'csv', rows: number, target: number): Benchmark {
  return {
    name,
    what:
      `Ingest + validate of flights-3m${rows === 3_000_000 ? '' : ` cut to ${rows.toLocaleString('en')} rows`} as ${format.toUpperCase()} ` +
      '(5 columns: date, delay, distance, origin, destination): byte scan and hash, canonical Parquet, upload to MinIO, ' +
      'statistics, schema inference and anomaly checks. Peak RSS is the whole process, DuckDB included.',
    unit: 's',
    target,
    better: 'lower',
    runs: Number(process.env.BENCH_RUNS ?? 5),
    run: async () => {
      const file = await input(format, rows);
      const id = `bench_${randomBytes(4).toString('hex')}`;
      const stores = openStores(loadConfig(), { schema: id, prefix: `bench/${id}` });
      try {
        await migrate(stores.pool, id);
        const started = process.hrtime.bigint();
        const dataset = await ingest({ uri: file }, { artifacts: stores.artifacts });
        const result = await validateDataset(
          { dataset, model: 'flights', rules: { target: 'delay' } },
          { artifacts: stores.artifacts, schemas: stores.schemas },
        );
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        if (dataset.rows !== rows || !result.passed) throw new Error(`unexpected result: ${dataset.rows} rows, passed ${result.passed}`);
        return seconds;
      } finally {
        for (const o of await stores.artifacts.list()) await stores.artifacts.remove(o.key);
        await stores.pool.query(`DROP SCHEMA ${id} CASCADE`);
        await stores.close();
      }
    },
  };
}

export const ingestParquet3m = ingestValidate('ingest-validate-parquet-3m', 'parquet', 3_000_000, 5);
export const ingestCsv3m = ingestValidate('ingest-validate-csv-3m', 'csv', 3_000_000, 15);
export const ingestParquet300k = ingestValidate('ingest-validate-parquet-300k', 'parquet', 300_000, 5);
