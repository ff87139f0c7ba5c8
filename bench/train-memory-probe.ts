// Where the train stage's memory goes on a partitioned input, phase by phase, in a process of its own:
//   node dist/bench/train-memory-probe.js ROWS PARTITIONS [MAXROWS]
// The seeded mixed table (bench/mixed-table.ts) is cut into PARTITIONS Parquet files and read as training reads
// a partitioned dataset version (one read_parquet over the list); then the GBDT path of core/ml/train.ts:
// prepareTrainingData, the encoding fitted on the training rows, the float64 validation matrix, and fitGbdt
// (binning the training rows a block at a time from encodedRows, as the train stage does, + 3 iterations). Prints the process high-water mark (VmHWM) and current RSS after each phase.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { literal, withDuckDB } from '../core/data/duckdb';
import { encode, encodedRows, fitEncodingPlan, type EncodingChoice, type FeatureColumn } from '../core/features/encode';
import { planFeatures } from '../core/features/plan';
import { fitGbdt, planCategories } from '../core/ml/gbdt';
import { prepareTrainingData } from '../core/ml/training-data';
import { parseSpec } from '../core/spec';
import { MIXED_CATEGORICAL, MIXED_NUMERIC, MIXED_TARGET, mixedTableFile } from './mixed-table';

const mb = (kb: string | undefined): number => Math.round(Number(kb ?? 0) / 1024);
function memory(): { peakMb: number; rssMb: number } {
  const status = readFileSync('/proc/self/status', 'utf8');
  return { peakMb: mb(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]), rssMb: mb(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) };
}

async function partitions(rows: number, parts: number): Promise<string[]> {
  const whole = await mixedTableFile(rows);
  const dir = path.join(os.tmpdir(), `mlops-mixed-${rows}-parts-${parts}`);
  mkdirSync(dir, { recursive: true });
  const files = Array.from({ length: parts }, (_, i) => path.join(dir, `part-${String(i).padStart(5, '0')}.parquet`));
  const size = Math.ceil(rows / parts);
  await withDuckDB(async (conn) => {
    for (const [i, file] of files.entries()) {
      if (existsSync(file)) continue;
      await conn.run(
        `COPY (SELECT * EXCLUDE (file_row_number) FROM read_parquet(${literal(whole)}, file_row_number = true)
               WHERE file_row_number >= ${i * size} AND file_row_number < ${(i + 1) * size} ORDER BY file_row_number)
         TO ${literal(file)} (FORMAT parquet, COMPRESSION zstd)`,
      );
    }
  });
  return files;
}

async function main(): Promise<void> {
  const [rows, parts, maxRows] = process.argv.slice(2).map(Number);
  if (!rows || !parts) throw new Error('usage: train-memory-probe ROWS PARTITIONS [MAXROWS]');
  const files = await partitions(rows, parts);
  const say = (phase: string): void => console.log(JSON.stringify({ phase, ...memory() }));
  say('start');
  const columns = [...MIXED_NUMERIC.map((name) => ({ name, type: 'DOUBLE' })), ...MIXED_CATEGORICAL.map((name) => ({ name, type: 'VARCHAR' }))];
  const plan = planFeatures({ columns: [...columns, { name: MIXED_TARGET, type: 'INTEGER' }], target: MIXED_TARGET });
  const selected = columns.map((c) => c.name);
  const spec = parseSpec({ data: { uri: files[0]! }, target: MIXED_TARGET, ...(maxRows ? { training: { maxRows } } : {}) });
  const table = `read_parquet([${files.map(literal).join(', ')}])`;
  const data = await withDuckDB((conn) => prepareTrainingData(conn, table, plan, selected, spec));
  say(`prepared ${data.rows} rows${data.sample ? ` (sample of ${data.sample.of})` : ''}`);
  const choices: Record<string, EncodingChoice> = Object.fromEntries([
    ...MIXED_NUMERIC.map((n) => [n, { encoding: 'passthrough' }] as const),
    ...MIXED_CATEGORICAL.map((c) => [c, { encoding: 'category' }] as const),
  ]);
  const features = data.features as FeatureColumn[];
  const enc = fitEncodingPlan(features, choices, data.split.train);
  const train = encodedRows(enc, features, data.split.train);
  const validation = encode(enc, features, data.split.validation);
  say(`encoded ${validation.rows} × ${validation.cols} validation float64 matrix (${train.rows} train rows binned from blocks)`);
  const pick = (idx: Int32Array): Int32Array => Int32Array.from(idx, (r) => data.labels[r]!);
  await fitGbdt(
    train,
    { labels: pick(data.split.train), classes: data.classes },
    { maxIter: 3, maxLeaves: 31, learningRate: 0.1, seed: 42 },
    { validation: { matrix: validation, labels: pick(data.split.validation) }, categories: planCategories(enc), threads: 2 },
  );
  say('binned and fitted (3 iterations)');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
