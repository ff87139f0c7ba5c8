// `mlops synth`: a synthetic dataset on disk, as CSV or Parquet.
import { mkdtemp, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { literal, withDuckDB } from '../core/data/duckdb';
import { writeSynthCsv } from '../core/data/synth';
import { UsageError } from './usage-error';

function intOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} ${JSON.stringify(value)} is not a non-negative integer`);
  return Number(value);
}

export async function synthCommand(values: Record<string, unknown>): Promise<number> {
  const rows = intOption(values.rows as string | undefined, 'rows', 10_000);
  const seed = intOption(values.seed as string | undefined, 'seed', 42);
  const driftText = (values.drift as string | undefined) ?? '0';
  if (!/^\d+(\.\d+)?$/.test(driftText)) throw new UsageError(`--drift ${JSON.stringify(driftText)} is not a non-negative number`);
  const out = path.resolve((values.out as string | undefined) ?? `synth-${rows}-drift${driftText}-seed${seed}.csv`);
  const format = out.endsWith('.parquet') ? 'parquet' : out.endsWith('.csv') ? 'csv' : undefined;
  if (!format) throw new UsageError(`--out ${out} must end in .csv or .parquet`);
  const tmp = await mkdtemp(path.join(path.dirname(out), '.synth-'));
  try {
    const csv = path.join(tmp, 'data.csv');
    try {
      await writeSynthCsv(csv, { rows, seed, drift: Number(driftText) }, (n) => {
        if (n % 500_000 === 0) console.error(`  ${n} rows`);
      });
    } catch (err) {
      if (err instanceof RangeError) throw new UsageError(err.message);
      throw err;
    }
    if (format === 'parquet') {
      const pq = path.join(tmp, 'data.parquet');
      await withDuckDB((conn) =>
        conn.run(`COPY (SELECT * FROM read_csv(${literal(csv)}, header = true)) TO ${literal(pq)} (FORMAT parquet, COMPRESSION zstd)`),
      );
      await rename(pq, out);
    } else {
      await rename(csv, out);
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  console.log(`wrote ${rows} rows (drift ${driftText}, seed ${seed}) to ${out}`);
  return 0;
}
