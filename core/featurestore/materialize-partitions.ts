// Materialization of a partitioned source (a directory, glob or s3:// prefix, or a file above partitionRows):
// each partition's rows past the planned watermark become feature rows on their own (any worker, a
// content-addressed featuresets/<name>/<version>/partitions/<sha256>.parquet that touches no store state), and
// one commit merges them into the part a single pass writes, under the set version's row lock, with the
// watermark and the online rows in the same transaction. A retried partition only rewrites its own artifact;
// a retried commit finds its materialization (same partitions' sources, same starting watermark) and writes
// nothing twice.
//
// The rules of the single pass hold across partitions: two rows of one entity and event time keep the later
// one in source order (the higher partition); rows at or before the watermark when the commit runs are left out.
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ident, literal, withDuckDB } from '../data/duckdb';
import type { Progress } from '../data/ingest';
import { planPartitions, type PartitionSource } from '../data/partitions';
import { DataError } from '../data/source';
import type { ArtifactRef } from '../store/artifacts';
import { inTransaction } from '../store/lineage';
import { FeatureSetError, resolveFeatureSet, type FeatureColumn } from './definition';
import {
  buildFeatureRows,
  commitPart,
  recordMaterialization,
  stageNewRows,
  storePart,
  withSourceTable,
  type FeatureStoreDeps,
  type MaterializeResult,
} from './materialize';
import { ISO_US, requireFeatureSet } from './registry';

export interface MaterializePlan {
  name: string;
  version: number;
  sourceUri: string;
  /** The watermark the partitions read past (ISO with microseconds; null before the first run) and in µs. */
  fromWatermark: string | null;
  fromUs: string | null;
  /** Null: the source is one file of at most partitionRows rows, materialized in one pass. */
  partitions: PartitionSource[] | null;
}

export interface MaterializedPartition {
  index: number;
  /** The partition's feature rows past the watermark (null: none). */
  rows: ArtifactRef | null;
  count: number;
  skipped: MaterializeResult['skipped'];
  features: FeatureColumn[];
  sourceSha256: string;
  range: PartitionSource['rows'] | null;
}

/** Hash over the partitions' sources (sha256 and row range, in order): a partitioned input's identity, as ingest records it. */
export function partitionedSourceSha256(parts: { sourceSha256: string; range: PartitionSource['rows'] | null }[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(`${p.sourceSha256} ${p.range ? `${p.range.start}+${p.range.count}` : '*'}\n`);
  return h.digest('hex');
}

async function watermarkOf(db: Pick<FeatureStoreDeps['pool'], 'query'>, name: string, version: number) {
  const state = await db.query<{ us: string; iso: string; features: FeatureColumn[] }>(
    `SELECT (extract(epoch FROM watermark) * 1000000)::bigint::text AS us, to_char(watermark AT TIME ZONE 'UTC', ${ISO_US}) AS iso, features
       FROM feature_watermarks WHERE set_name = $1 AND version = $2`,
    [name, version],
  );
  return state.rows[0];
}

export async function planMaterialization(
  deps: FeatureStoreDeps,
  set: { name: string; version?: number },
  opts: { partitionRows?: number } = {},
): Promise<MaterializePlan> {
  const fs = await requireFeatureSet(deps.pool, set.name, set.version);
  if (!deps.s3) throw new Error('planning a materialization needs an S3 client');
  const from = await watermarkOf(deps.pool, fs.name, fs.version);
  const plan = await planPartitions(
    { uri: fs.definition.source.uri, format: fs.definition.source.format, partitionRows: opts.partitionRows },
    { s3: deps.s3, artifacts: deps.artifacts },
  );
  return {
    name: fs.name,
    version: fs.version,
    sourceUri: fs.definition.source.uri,
    fromWatermark: from?.iso ?? null,
    fromUs: from?.us ?? null,
    partitions: plan?.partitions ?? null,
  };
}

/** One partition's new rows as stored feature rows; nothing in Postgres changes. */
export async function materializePartition(
  deps: FeatureStoreDeps,
  input: { plan: Pick<MaterializePlan, 'name' | 'version' | 'fromUs'>; partition: PartitionSource },
  opts: { onProgress?: Progress } = {},
): Promise<MaterializedPartition> {
  const progress = opts.onProgress ?? (() => undefined);
  const p = input.partition;
  const fs = await requireFeatureSet(deps.pool, input.plan.name, input.plan.version);
  const def = fs.definition;
  const work = await mkdtemp(path.join(os.tmpdir(), 'mlops-materialize-part-'));
  try {
    return await withSourceTable(p.uri, { s3: deps.s3, format: p.format, ...(p.rows ? { rows: p.rows } : {}) }, async (conn, table, source) => {
      const resolved = resolveFeatureSet(def, source.columns);
      const needed = [...new Set([...resolved.kept.map((c) => c.name), ...resolved.deriveInputs.map((c) => c.name)])];
      const fromUs = input.plan.fromUs === null ? null : BigInt(input.plan.fromUs);
      const { rows, skipped } = await stageNewRows(conn, table, def, needed, fromUs);
      const base = { index: p.index, count: rows, skipped, features: resolved.features, sourceSha256: source.sha256, range: p.rows ?? null };
      progress(`partition ${p.index}: ${rows} new rows`);
      if (rows === 0) return { ...base, rows: null };
      await buildFeatureRows(conn, def, resolved);
      return { ...base, rows: await storePart(conn, deps, fs, work, 'partitions') };
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

const shape = (f: FeatureColumn[]): string => f.map((c) => `${c.name} ${c.kind}`).join(', ');

/** Merges the partitions' rows into one part and commits it, its watermark and its online rows together. */
export async function commitMaterialization(
  deps: FeatureStoreDeps,
  input: { plan: MaterializePlan; parts: MaterializedPartition[] },
  opts: { onProgress?: Progress } = {},
): Promise<MaterializeResult & { partitions: number; alreadyCommitted: boolean }> {
  const started = Date.now();
  const progress = opts.onProgress ?? (() => undefined);
  const parts = [...input.parts].sort((a, b) => a.index - b.index);
  parts.forEach((p, i) => {
    if (p.index !== i) throw new Error(`rows of partition ${i} are missing (got partition ${p.index})`);
  });
  if (parts.length !== (input.plan.partitions?.length ?? 0)) throw new Error(`expected ${input.plan.partitions?.length ?? 0} partitions, got ${parts.length}`);
  const fs = await requireFeatureSet(deps.pool, input.plan.name, input.plan.version);
  const def = fs.definition;
  const features = parts[0]!.features;
  const odd = parts.find((p) => shape(p.features) !== shape(features));
  if (odd)
    throw new DataError(
      `${def.source.uri}: partition ${odd.index} gives the features (${shape(odd.features)}) but partition 0 gives (${shape(features)}); every partition needs the same columns and types`,
    );
  const sourceSha256 = partitionedSourceSha256(parts);
  const skipped = parts.reduce(
    (s, p) => ({
      missingKey: s.missingKey + p.skipped.missingKey,
      behindWatermark: s.behindWatermark + p.skipped.behindWatermark,
      duplicates: s.duplicates + p.skipped.duplicates,
    }),
    { missingKey: 0, behindWatermark: 0, duplicates: 0 },
  );
  const work = await mkdtemp(path.join(os.tmpdir(), 'mlops-materialize-commit-'));
  const key = { name: fs.name, version: fs.version, partitions: parts.length };
  try {
    const outcome = await inTransaction(deps.pool, async (db) => {
      await db.query('SELECT 1 FROM feature_sets WHERE name = $1 AND version = $2 FOR UPDATE', [fs.name, fs.version]);
      const now = await watermarkOf(db, fs.name, fs.version);
      const fromWatermark = now?.iso ?? null;
      // A retried commit whose first attempt committed: the same sources from the same watermark are recorded.
      const mine =
        fromWatermark === input.plan.fromWatermark
          ? undefined
          : (
              await db.query<{ part_uri: string; sha256: string; rows: number; entities: number; to_watermark: string }>(
                `SELECT part_uri, sha256, rows::int AS rows, entities::int AS entities, to_char(to_watermark AT TIME ZONE 'UTC', ${ISO_US}) AS to_watermark FROM feature_materializations
                  WHERE set_name = $1 AND version = $2 AND source_sha256 = $3 AND from_watermark IS NOT DISTINCT FROM $4::timestamptz`,
                [fs.name, fs.version, sourceSha256, input.plan.fromWatermark],
              )
            ).rows[0];
      const changed = now && !mine ? features.filter((f) => new Map(now.features.map((g) => [g.name, g.kind])).get(f.name) !== f.kind) : [];
      if (changed.length > 0)
        throw new FeatureSetError(
          `feature set ${fs.name}@${fs.version}: the source's columns changed type since the first materialization (${changed.map((f) => f.name).join(', ')}); a version's features keep their kinds`,
        );
      const none = { rows: 0, entities: 0, onlineWritten: 0, skipped, fromWatermark, watermark: fromWatermark, part: null, alreadyCommitted: false };
      const files: { file: string; index: number }[] = [];
      for (const p of parts) {
        if (!p.rows) continue;
        const file = path.join(work, `part-${p.index}.parquet`);
        await deps.artifacts.getFile(deps.artifacts.keyOf(p.rows.uri), file, p.rows.sha256);
        files.push({ file, index: p.index });
      }
      if (files.length === 0) return none;
      return withDuckDB(async (conn) => {
        await conn.run(`SET TimeZone = 'UTC'`);
        const e = ident(def.entity);
        const t = ident(def.timestamp);
        await conn.run(
          `CREATE TEMP TABLE fs_all AS ${files.map((f) => `SELECT *, ${f.index} AS __mlops_part FROM read_parquet(${literal(f.file)})`).join(' UNION ALL ')}`,
        );
        // Rows another run committed after the plan was made; then, across partitions, the later row of one entity and time.
        const all = Number((await conn.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM fs_all`)).getRowObjectsJS()[0]!.n);
        const behind = now && !mine && now.iso !== input.plan.fromWatermark ? BigInt(now.us) : null;
        await conn.run(
          `CREATE TEMP TABLE fs_out AS SELECT * EXCLUDE (__mlops_part) FROM fs_all WHERE $1::BIGINT IS NULL OR epoch_us(${t}) > $1::BIGINT
             QUALIFY row_number() OVER (PARTITION BY ${e}, ${t} ORDER BY __mlops_part DESC) = 1 ORDER BY ${e}, ${t}`,
          [behind],
        );
        const kept = (
          await conn.runAndReadAll(
            `SELECT count(*)::BIGINT AS n, (SELECT count(*) FROM fs_all WHERE $1::BIGINT IS NOT NULL AND epoch_us(${t}) <= $1::BIGINT)::BIGINT AS behind FROM fs_out`,
            [behind],
          )
        ).getRowObjectsJS()[0]!;
        const rows = Number(kept.n);
        const late = Number(kept.behind);
        const merged = {
          missingKey: skipped.missingKey,
          behindWatermark: skipped.behindWatermark + late,
          duplicates: skipped.duplicates + (all - late - rows),
        };
        if (mine) {
          progress(`already committed: ${mine.part_uri}`);
          const key = deps.artifacts.keyOf(mine.part_uri);
          const size = (await deps.artifacts.list(key)).find((o) => o.key === key)?.size ?? 0;
          const part = { uri: mine.part_uri, sha256: mine.sha256, size };
          const from = input.plan.fromWatermark;
          return {
            rows: mine.rows,
            entities: mine.entities,
            onlineWritten: 0,
            skipped: merged,
            fromWatermark: from,
            watermark: mine.to_watermark,
            part,
            alreadyCommitted: true,
          };
        }
        if (rows === 0) return { ...none, skipped: merged };
        const part = await storePart(conn, deps, fs, work);
        progress(`merged ${parts.length} partitions: ${rows} rows in ${part.uri}`);
        const c = await commitPart(conn, db, fs, features, { part, rows, fromWatermark, sourceSha256, progress });
        return { rows, ...c, skipped: merged, fromWatermark, part, alreadyCommitted: false };
      });
    });
    if (outcome.part && !outcome.alreadyCommitted) {
      await recordMaterialization(
        deps,
        fs,
        { ...outcome, part: outcome.part, sourceSha256 },
        {
          params: { partitions: parts.length },
          inputs: parts.flatMap((p) =>
            p.rows ? [{ uri: p.rows.uri, sha256: p.rows.sha256, type: 'FeatureSetPartition', properties: { index: p.index } }] : [],
          ),
        },
      );
    }
    return { ...key, ...outcome, sourceSha256, ms: Date.now() - started };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
