// Training/serving skew: for logged predictions that carry the spec's row keys (data.keys), the features the
// model received online are compared with the same rows' features computed offline — raw values read from a
// fresh read of data.uri, derivations by the batch path. A mismatch means serving and training disagree on
// what a row looks like (a client sending other units, a stale upstream, a derivation bug). Retraining does
// not fix that, so skew is reported, never a retraining trigger.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Client } from 'minio';
import { readColumns, type ColumnRequest, type DataColumn } from '../data/columns';
import { ident, literal, withDuckDB } from '../data/duckdb';
import { sourceRelation } from '../data/ingest';
import { fetchSource } from '../data/source';
import { derivationOrder, deriveColumns } from '../features/derive';
import type { Derivation } from '../features/spec';

export interface SkewColumn {
  name: string;
  mismatches: number;
  /** The first mismatching row: its key, the value served, the value computed offline. */
  example: { key: string; served: unknown; offline: unknown } | null;
}

export interface SkewReport {
  /** Logged rows whose key was found in the data. */
  checked: number;
  /** Logged rows with keys that are not in the data (new rows, or keys that do not match). */
  unmatched: number;
  rowsWithMismatch: number;
  share: number;
  skew: boolean;
  columns: SkewColumn[];
}

export interface SkewInput {
  dataUri: string;
  keys: string[];
  /** Raw columns the model reads, with their kinds. */
  raw: { name: string; kind: 'numeric' | 'date' | 'categorical' }[];
  derive: Derivation[];
  /** Logged features, newest first; rows without every key are skipped. */
  logged: Record<string, unknown>[];
  /** Columns never compared (protected attributes are logged hashed or not at all). */
  skip?: string[];
  maxRows?: number;
  /** Share of compared rows with any mismatch above which skew is reported (default 0.01). */
  maxShare?: number;
}

const keyOf = (row: Record<string, unknown>, keys: string[]): string | null =>
  keys.every((k) => row[k] !== null && row[k] !== undefined) ? JSON.stringify(keys.map((k) => String(row[k]))) : null;

function same(served: unknown, offline: number | string | null, kind: 'numeric' | 'categorical'): boolean {
  if (kind === 'categorical') return (served === null || served === undefined ? null : String(served)) === offline;
  const a = typeof served === 'number' ? served : NaN;
  const b = offline as number;
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
}

export async function checkSkew(input: SkewInput, deps: { s3?: Client }): Promise<SkewReport | null> {
  if (input.keys.length === 0) return null;
  const latest = new Map<string, Record<string, unknown>>();
  for (const row of input.logged) {
    const k = keyOf(row, input.keys);
    if (k !== null && !latest.has(k)) latest.set(k, row);
    if (latest.size >= (input.maxRows ?? 1_000)) break;
  }
  if (latest.size === 0) return null;
  const skip = new Set([...(input.skip ?? []), ...input.keys]);
  const raw = input.raw.filter((r) => !skip.has(r.name));
  const source = await fetchSource(input.dataUri, { s3: deps.s3 });
  const work = await mkdtemp(path.join(os.tmpdir(), 'mlops-skew-'));
  try {
    const keysFile = path.join(work, 'keys.ndjson');
    await writeFile(keysFile, [...latest.keys()].map((k) => JSON.stringify({ k })).join('\n'));
    const keyExpr = `to_json([${input.keys.map((k) => `${ident(k)}::VARCHAR`).join(', ')}])::VARCHAR`;
    const table = await sourceRelation(source);
    return await withDuckDB(async (conn) => {
      // One offline row per key (the first in the data), for the keys seen online.
      await conn.run(
        `CREATE TEMP TABLE matched AS SELECT * FROM (SELECT ${keyExpr} AS __mlops_key, *, row_number() OVER (PARTITION BY ${keyExpr}) AS __mlops_n FROM ${table})
          WHERE __mlops_n = 1 AND __mlops_key IN (SELECT k FROM read_json(${literal(keysFile)}, format = 'newline_delimited', columns = {k: 'VARCHAR'})) ORDER BY __mlops_key`,
      );
      const requests: ColumnRequest[] = [{ name: '__mlops_key', kind: 'categorical' }, ...raw.map((r) => ({ name: r.name, kind: r.kind }))];
      const batch = await readColumns(conn, 'matched', requests);
      const keys = batch.columns[0]!.values as (string | null)[];
      const rawColumns = batch.columns.slice(1);
      const order = derivationOrder(input.derive, new Set(raw.map((r) => r.name)));
      const columns: DataColumn[] = [...rawColumns, ...deriveColumns(order, rawColumns, batch.rows)].filter((c) => !skip.has(c.name));
      const result: SkewColumn[] = columns.map((c) => ({ name: c.name, mismatches: 0, example: null }));
      let rowsWithMismatch = 0;
      for (let i = 0; i < batch.rows; i++) {
        const served = latest.get(keys[i]!)!;
        let bad = false;
        columns.forEach((c, j) => {
          if (!(c.name in served)) return; // not logged (an older server, or not sent)
          const offline = c.values[i] ?? null;
          if (same(served[c.name], offline, c.kind)) return;
          bad = true;
          const r = result[j]!;
          r.mismatches++;
          r.example ??= { key: keys[i]!, served: served[c.name], offline: typeof offline === 'number' && Number.isNaN(offline) ? null : offline };
        });
        if (bad) rowsWithMismatch++;
      }
      const share = batch.rows > 0 ? rowsWithMismatch / batch.rows : 0;
      return {
        checked: batch.rows,
        unmatched: latest.size - batch.rows,
        rowsWithMismatch,
        share,
        skew: batch.rows > 0 && share > (input.maxShare ?? 0.01),
        columns: result.filter((c) => c.mismatches > 0),
      };
    });
  } finally {
    await rm(work, { recursive: true, force: true });
    await source.cleanup();
  }
}
