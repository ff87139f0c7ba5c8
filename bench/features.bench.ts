// Feature derivation and selection statistics on flights-3m (3M rows), and one online request's derivation.
import path from 'node:path';
import { withDuckDB, literal } from '../core/data/duckdb';
import { deriveRow } from '../core/features/derive';
import { planFeatures } from '../core/features/plan';
import { selectFeatures } from '../core/features/select';
import { parseFeatureSpec } from '../core/features/spec';
import { computeFeatures } from '../core/features/stages';
import { projectRoot } from '../infra/paths';
import type { Benchmark } from './harness';

const FLIGHTS = path.join(projectRoot(), 'node_modules', 'vega-datasets', 'data', 'flights-3m.parquet');
const COLUMNS = [
  { name: 'date', type: 'TIMESTAMP' },
  { name: 'delay', type: 'BIGINT' },
  { name: 'distance', type: 'BIGINT' },
  { name: 'origin', type: 'VARCHAR' },
  { name: 'destination', type: 'VARCHAR' },
];
const plan = planFeatures({
  columns: COLUMNS,
  target: 'delay',
  time: 'date',
  features: parseFeatureSpec({
    derive: [
      { name: 'dow', op: 'day_of_week', input: 'date' },
      { name: 'hour', op: 'hour', input: 'date' },
      { name: 'month', op: 'month', input: 'date' },
      { name: 'weekend', op: 'weekend', input: 'date' },
      { name: 'holiday', op: 'holiday', input: 'date' },
      { name: 'log_distance', op: 'log1p', input: 'distance' },
      { name: 'distance_band', op: 'bucketize', input: 'distance', boundaries: [250, 500, 1000, 2000] },
      { name: 'route', op: 'cross', inputs: ['origin', 'destination'] },
    ],
  }),
});

export const features3m: Benchmark = {
  name: 'features-3m',
  what:
    'Derivations + selection statistics on flights-3m: read 5 raw columns into typed arrays, derive 8 features ' +
    '(date parts, US holidays, log, bucketize, an origin×destination cross), then missing/variance/top-share ' +
    'statistics and pairwise correlations (200k-row stride sample).',
  unit: 's',
  target: 5,
  better: 'lower',
  runs: Number(process.env.BENCH_RUNS ?? 5),
  run: () =>
    withDuckDB(async (conn) => {
      const started = process.hrtime.bigint();
      const { rows, byName } = await computeFeatures(conn, `read_parquet(${literal(FLIGHTS)})`, plan);
      const result = await selectFeatures(
        plan.features.map((f) => byName.get(f.name)!),
        rows,
      );
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (rows !== 3_000_000 || result.selected.length === 0) throw new Error(`unexpected: ${rows} rows, ${result.selected.length} selected`);
      return seconds;
    }),
};

export const deriveOnline: Benchmark = {
  name: 'derive-row',
  what: 'One online request: the same 8 derivations for one JSON row (date as an ISO string), averaged over 200,000 requests.',
  unit: 'µs',
  target: 50,
  better: 'lower',
  runs: Number(process.env.BENCH_RUNS ?? 5),
  run: async () => {
    const kinds = { date: 'numeric', delay: 'numeric', distance: 'numeric', origin: 'categorical', destination: 'categorical' } as const;
    const row = { date: '2001-01-14 21:55:00', distance: 1670, origin: 'LAS', destination: 'ORD' };
    let sink = 0;
    for (let i = 0; i < 20_000; i++) sink += deriveRow(plan.derive, row, kinds).dow as number; // warm-up
    const n = 200_000;
    const started = process.hrtime.bigint();
    for (let i = 0; i < n; i++) sink += deriveRow(plan.derive, row, kinds).dow as number;
    const micros = Number(process.hrtime.bigint() - started) / 1e3 / n;
    if (sink !== 0) throw new Error(`unexpected derived day of week: ${sink}`); // 2001-01-14 was a Sunday
    return micros;
  },
};
