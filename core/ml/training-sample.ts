// training.maxRows: above it, training reads a seeded sample of exactly maxRows labelled rows, chosen in DuckDB
// so the other rows never reach JS. Classification samples each class in proportion to its share (stratified);
// regression samples plainly. The sample is a filter on the dataset relation, so it keeps the rows' order.
//
// Each row's key is a hash of (seed, file_index, file_row_number): the row's place in the canonical Parquet (or in
// the partitioned dataset's manifest order), not its content, so the same dataset and seed pick the same rows.
// Per class, the rows with the smallest (key, file_index, file_row_number) are kept; the cut-off of each class
// is looked up in a session variable set from a table, so no data value is spliced into SQL text.
import type { DuckDBConnection } from '@duckdb/node-api';
import { ident } from '../data/duckdb';
import type { RawKind } from '../features/plan';
import type { Task } from '../spec';

/** What the run result and lineage record when training sampled its rows. */
export interface TrainingSample {
  /** Rows trained on (= training.maxRows). */
  rows: number;
  /** Labelled rows in the dataset. */
  of: number;
  seed: number;
  /** The target when classes were sampled in proportion to their shares; null for a plain sample. */
  stratifiedBy: string | null;
}

export interface SampledRelation {
  /** The sampled rows as a relation expression, in dataset order. */
  table: string;
  sample: TrainingSample;
  /** Rows of the whole dataset without a target value. */
  unlabelled: number;
}

/** The target as the value training reads (readColumns' casts), NULL when missing. */
function targetValue(name: string, kind: RawKind): string {
  const col = ident(name);
  if (kind === 'categorical') return `${col}::VARCHAR`;
  const v = kind === 'date' ? `epoch_ms(${col}::TIMESTAMP)::DOUBLE` : `${col}::DOUBLE`;
  return `CASE WHEN isfinite(${v}) THEN ${v} END`;
}

/**
 * Splits `total` rows over classes in proportion to their counts (largest remainder, ties to the earlier class),
 * giving every class at least one row (taken from the largest quotas) so no class disappears.
 */
export function stratifiedQuotas(counts: readonly number[], total: number): number[] {
  const all = counts.reduce((a, b) => a + b, 0);
  if (total >= all) return [...counts];
  if (total < counts.length) throw new Error(`cannot sample ${total} rows from ${counts.length} classes with at least one row each`);
  const exact = counts.map((c) => (c * total) / all);
  const quotas = exact.map(Math.floor);
  let left = total - quotas.reduce((a, b) => a + b, 0);
  const order = counts.map((_, i) => i).sort((a, b) => exact[b]! - quotas[b]! - (exact[a]! - quotas[a]!) || a - b);
  for (const i of order) {
    if (left === 0) break;
    quotas[i]!++;
    left--;
  }
  for (let i = 0; i < quotas.length; i++) {
    if (quotas[i]! > 0 || counts[i]! === 0) continue;
    let largest = 0;
    for (let j = 1; j < quotas.length; j++) if (quotas[j]! > quotas[largest]!) largest = j;
    quotas[largest]!--;
    quotas[i] = 1;
  }
  return quotas;
}

let sampleCounter = 0;

/** The sample's predicate: by key against each class's cut-off key, or exactly, by (key, file, row). */
function pickedRows(name: string, y: string, cls: string, by: 'keys' | 'exact'): string {
  const key = rowKey(name);
  const at = `list_position(getvariable('${name}').classes, ${cls})`;
  if (by === 'keys') return `${y} IS NOT NULL AND ${key} <= getvariable('${name}').keys[${at}]`;
  const cut = `getvariable('${name}').cuts[${at}]`;
  return `${y} IS NOT NULL AND (${key}, file_index, file_row_number) <= (${cut}.k, ${cut}.f, ${cut}.r)`;
}

/** hash() of several values mixes them only linearly: the seed is mixed in before one more full hash. */
const rowKey = (name: string): string => `hash(xor(hash(file_index, file_row_number), hash(getvariable('${name}_seed'))))`;

/**
 * The seeded sample of `maxRows` labelled rows of `table` (a read_parquet relation), or undefined when it has
 * no more labelled rows than that (training then reads the table as it is).
 */
export async function sampleTrainingRows(
  conn: DuckDBConnection,
  table: string,
  opts: {
    target: { name: string; kind: RawKind };
    task: Task | undefined;
    maxRows: number;
    seed: number;
    /** Always compare (key, file, row), as on a tie at a cut-off (for tests). */
    exact?: boolean;
  },
): Promise<SampledRelation | undefined> {
  const y = targetValue(opts.target.name, opts.target.kind);
  const count = await conn.runAndReadAll(`SELECT count(*)::BIGINT AS n, count(${y})::BIGINT AS labelled FROM ${table}`);
  const { n, labelled } = count.getRowObjectsJS()[0]! as { n: bigint; labelled: bigint };
  const of = Number(labelled);
  if (of <= opts.maxRows) return undefined;

  // Stratify when training will classify: prepareTrainingData's task rule (a numeric target with exactly two
  // values is binary unless the spec says otherwise).
  let stratify = opts.task !== undefined ? opts.task !== 'regression' : opts.target.kind === 'categorical';
  if (opts.task === undefined && opts.target.kind !== 'categorical') {
    const values = await conn.runAndReadAll(
      `WITH r AS (SELECT min(${y}) AS lo, max(${y}) AS hi FROM ${table})
       SELECT any_value(r.lo < r.hi) AS spread, count(*) FILTER (WHERE ${y} > r.lo AND ${y} < r.hi)::BIGINT AS inside FROM ${table}, r`,
    );
    const { spread, inside } = values.getRowObjectsJS()[0]! as { spread: boolean | null; inside: bigint };
    stratify = spread === true && Number(inside) === 0;
  }
  const cls = stratify ? y : `''`;
  const name = `mlops_sample_${++sampleCounter}`;
  const key = rowKey(name);
  await conn.run(`CREATE TEMP TABLE ${name}_quota (cls ${stratify && opts.target.kind !== 'categorical' ? 'DOUBLE' : 'VARCHAR'}, n BIGINT, quota BIGINT)`);
  try {
    const classes = await conn.runAndReadAll(`SELECT ${cls} AS cls, count(*)::BIGINT AS n FROM ${table} WHERE ${y} IS NOT NULL GROUP BY 1 ORDER BY 1`);
    const rows = classes.getRowObjectsJS() as { cls: string | number; n: bigint }[];
    const quotas = stratifiedQuotas(
      rows.map((r) => Number(r.n)),
      opts.maxRows,
    );
    const insert = await conn.prepare(`INSERT INTO ${name}_quota VALUES ($1, $2, $3)`);
    for (const [i, r] of rows.entries()) {
      insert.bindValue(1, stratify ? r.cls : '');
      insert.bindBigInt(2, r.n);
      insert.bindBigInt(3, BigInt(quotas[i]!));
      await insert.run();
    }
    // The seed goes in as a session variable too: macros and views cannot take parameters.
    const seed = await conn.prepare(`SET VARIABLE ${name}_seed = $1::UBIGINT`);
    seed.bindBigInt(1, BigInt(opts.seed));
    await seed.run();
    // Each class's last kept row (key, file, row), as lists in class order: list_position finds a row's class.
    await conn.run(
      `SET VARIABLE ${name} = (
         SELECT {classes: list(cls ORDER BY cls), keys: list(k ORDER BY cls), cuts: list({k: k, f: f, r: r} ORDER BY cls)}
         FROM (
           SELECT c.cls, c.k, c.f, c.r
           FROM (SELECT ${cls} AS cls, ${key} AS k, file_index AS f, file_row_number AS r,
                        row_number() OVER (PARTITION BY ${cls} ORDER BY k, f, r) AS rank
                 FROM ${table} WHERE ${y} IS NOT NULL) c
           JOIN ${name}_quota q ON q.cls IS NOT DISTINCT FROM c.cls
           WHERE c.rank = q.quota
         ))`,
    );
  } finally {
    await conn.run(`DROP TABLE IF EXISTS ${name}_quota`);
  }
  // Comparing keys alone is several times faster per scan; it is exact unless a kept row's key equals another
  // row's of the same class at a cut-off (64-bit hashes: about once in 10¹² samples), checked here.
  let picked = pickedRows(name, y, cls, 'keys');
  const kept = await conn.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM ${table} WHERE ${picked}`);
  if (Number((kept.getRowObjectsJS()[0] as { n: bigint }).n) !== opts.maxRows || opts.exact) picked = pickedRows(name, y, cls, 'exact');
  return {
    table: `(SELECT * FROM ${table} WHERE ${picked})`,
    sample: { rows: opts.maxRows, of, seed: opts.seed, stratifiedBy: stratify ? opts.target.name : null },
    unlabelled: Number(n) - of,
  };
}
