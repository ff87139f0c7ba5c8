// The feature store on synthetic, seeded data (1M feature rows over 100k customers, 1M labelled events):
// incremental materialization, a point-in-time training set, and one-entity online lookups. Runs against
// the real local stack (`mlops up`), each run in a schema and prefix of its own.
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../core/config';
import { literal, withDuckDB } from '../core/data/duckdb';
import { applyFeatureSet, buildTrainingSet, getOnlineFeatures, materialize, type FeatureSetVersion } from '../core/featurestore';
import { seededRandom } from '../core/random';
import { openStores, type Stores } from '../core/store';
import { migrate } from '../infra/migrate';
import type { Benchmark } from './harness';

const ROWS = 1_000_000;
const CUSTOMERS = 100_000;
const DAY_MS = 86_400_000;
const START = Date.UTC(2024, 0, 1);
const cacheDir = path.join(os.tmpdir(), 'mlops-bench-data');

/** Writes seeded CSV lines, then converts them to Parquet once per machine (ms columns become timestamps). */
async function generate(name: string, header: string, line: (random: () => number, i: number) => string, select: string): Promise<string> {
  mkdirSync(cacheDir, { recursive: true });
  const file = path.join(cacheDir, `${name}.parquet`);
  if (existsSync(file)) return file;
  const csv = path.join(cacheDir, `${name}.${process.pid}.csv`);
  const random = seededRandom(20240101);
  const out = createWriteStream(csv);
  out.write(`${header}\n`);
  let buffer: string[] = [];
  for (let i = 0; i < ROWS; i++) {
    buffer.push(line(random, i));
    if (buffer.length === 10_000) {
      if (!out.write(`${buffer.join('\n')}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
      buffer = [];
    }
  }
  out.write(buffer.length ? `${buffer.join('\n')}\n` : '');
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  const tmp = `${file}.${process.pid}.tmp`;
  await withDuckDB((c) => c.run(`COPY (SELECT ${select} FROM read_csv(${literal(csv)}, header = true)) TO ${literal(tmp)} (FORMAT parquet, COMPRESSION zstd)`));
  await rename(tmp, file);
  await rm(csv, { force: true });
  return file;
}

const CHANNELS = ['web', 'store', 'phone', 'partner', 'app'];

/** 1M purchases: ~10 per customer over a year, with amount, item count, channel and region. */
const featureSource = (): Promise<string> =>
  generate(
    'featurestore-purchases-1m',
    'customer,ts_ms,amount,items,channel,region',
    (r) =>
      `${Math.floor(r() * CUSTOMERS)},${START + Math.floor(r() * 365 * DAY_MS)},${(Math.round(r() * 50_000) / 100).toFixed(2)},${1 + Math.floor(r() * 9)},${CHANNELS[Math.floor(r() * 5)]},r${Math.floor(r() * 20)}`,
    'customer, make_timestamp(ts_ms * 1000) AS ts, amount, items, channel, region',
  );

/** 1M labelled events (churned or not) at random times of the same year, for random customers. */
const eventSource = (): Promise<string> =>
  generate(
    'featurestore-events-1m',
    'event_id,customer,at_ms,churned',
    (r, i) => `${i},${Math.floor(r() * CUSTOMERS)},${START + Math.floor(r() * 365 * DAY_MS)},${r() < 0.2 ? 1 : 0}`,
    'event_id, customer, make_timestamp(at_ms * 1000) AS at, churned',
  );

const definition = (uri: string) => ({
  name: 'purchases',
  entity: 'customer',
  timestamp: 'ts',
  source: { uri },
  columns: ['amount', 'items', 'channel'],
  features: {
    derive: [
      { name: 'log_amount', op: 'log1p', input: 'amount' },
      { name: 'amount_per_item', op: 'ratio', inputs: ['amount', 'items'] },
      { name: 'amount_band', op: 'bucketize', input: 'amount', boundaries: [10, 50, 100, 250] },
      { name: 'dow', op: 'day_of_week', input: 'ts' },
      { name: 'hour', op: 'hour', input: 'ts' },
      { name: 'channel_region', op: 'cross', inputs: ['channel', 'region'] },
    ],
  },
});

/** A fresh schema and prefix with the purchases set applied; everything is removed afterwards. */
async function withFeatureStore<T>(fn: (stores: Stores, set: FeatureSetVersion) => Promise<T>): Promise<T> {
  const source = await featureSource();
  const id = `bench_${randomBytes(4).toString('hex')}`;
  const stores = openStores(loadConfig(), { schema: id, prefix: `bench/${id}` });
  try {
    await migrate(stores.pool, id);
    const { set } = await applyFeatureSet(stores, definition(source));
    return await fn(stores, set);
  } finally {
    for (const o of await stores.artifacts.list()) await stores.artifacts.remove(o.key);
    await stores.pool.query(`DROP SCHEMA ${id} CASCADE`);
    await stores.close();
  }
}

const seconds = (started: bigint): number => Number(process.hrtime.bigint() - started) / 1e9;

export const featurestoreMaterialize: Benchmark = {
  name: 'featurestore-materialize-1m',
  what:
    'Materialize 1M feature rows (100k customers, 3 kept columns + 6 derived features: log, ratio, bucketize, day of week, ' +
    'hour, a cross) from a local Parquet source: byte hash, DuckDB filter/dedupe/sort, derivations in TypeScript, a zstd ' +
    'Parquet part uploaded to MinIO, the watermark, and 100k online rows upserted to Postgres in one transaction.',
  unit: 's',
  target: 20,
  better: 'lower',
  runs: Number(process.env.BENCH_RUNS ?? 5),
  run: () =>
    withFeatureStore(async (stores, set) => {
      const started = process.hrtime.bigint();
      const r = await materialize(stores, set);
      const s = seconds(started);
      if (r.rows + r.skipped.duplicates !== ROWS || r.entities > CUSTOMERS || r.onlineWritten !== r.entities)
        throw new Error(`unexpected: ${JSON.stringify(r)}`);
      return s;
    }),
};

export const featurestoreTrainingSet: Benchmark = {
  name: 'featurestore-training-set-1m',
  what:
    'A point-in-time training set: 1M labelled events (local Parquet) ASOF-joined with the 1M-row materialized purchases ' +
    'set (9 features) — part download from MinIO, DuckDB ASOF LEFT JOIN in event order, zstd Parquet upload, lineage.',
  unit: 's',
  target: 10,
  better: 'lower',
  runs: Number(process.env.BENCH_RUNS ?? 5),
  run: async () => {
    const events = await eventSource();
    return withFeatureStore(async (stores, set) => {
      await materialize(stores, set);
      const started = process.hrtime.bigint();
      const r = await buildTrainingSet(stores, { events, entity: 'customer', timestamp: 'at', sets: [{ name: set.name, version: set.version }] });
      const s = seconds(started);
      if (r.rows !== ROWS || r.columns.length !== 4 + 9) throw new Error(`unexpected: ${r.rows} rows, ${r.columns.length} columns`);
      return s;
    });
  },
};

export const featurestoreOnline: Benchmark = {
  name: 'featurestore-online-p99',
  what:
    'Online lookup of one entity (getOnlineFeatures: one prepared query on the primary key, JSON values parsed) against ' +
    '100k materialized customers in Postgres, sequential, from a 5-connection pool: p99 of 20,000 lookups after 2,000 warm-up.',
  unit: 'ms',
  target: 2,
  better: 'lower',
  runs: Number(process.env.BENCH_RUNS ?? 5),
  run: () =>
    withFeatureStore(async (stores, set) => {
      await materialize(stores, set);
      const random = seededRandom(99);
      const entities = (await stores.pool.query<{ entity: string }>('SELECT entity FROM online_features')).rows.map((r) => r.entity);
      const lookup = async (): Promise<number> => {
        const entity = entities[Math.floor(random() * entities.length)]!;
        const started = process.hrtime.bigint();
        const found = await getOnlineFeatures(stores.pool, set, [entity]);
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        if (!found.has(entity)) throw new Error(`customer ${entity} is not in the online store`);
        return ms;
      };
      for (let i = 0; i < 2_000; i++) await lookup();
      const times = new Float64Array(20_000);
      for (let i = 0; i < times.length; i++) times[i] = await lookup();
      times.sort();
      return times[Math.floor(times.length * 0.99)]!;
    }),
};
