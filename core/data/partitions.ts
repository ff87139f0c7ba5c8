// Partitioned inputs: `data.uri` may name a directory, a glob (`*`, `?` in the last path segment) or an s3://
// prefix (ending in `/`), and a single file above `partitionRows` is split into row ranges. The plan lists
// one source per partition; every source is in object storage, so any worker can take any partition (a local
// input is read once, here, into the bucket under sources/<sha256>).
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from 'minio';
import type { ArtifactStore } from '../store/artifacts';
import { hashFile, parseS3Uri } from '../store/artifacts';
import { withDuckDB } from './duckdb';
import { sourceRelation } from './ingest';
import { parquetObjectRows } from './parquet-footer';
import { DataError, fetchSource, type DataFormat } from './source';

export const DEFAULT_PARTITION_ROWS = 2_000_000;

export interface PartitionSource {
  index: number;
  /** s3:// URI of the partition's file. */
  uri: string;
  format: DataFormat;
  /** A row range of a split file (0-based start); absent when the partition is the whole file. */
  rows?: { start: number; count: number };
}

export interface PartitionPlan {
  sourceUri: string;
  partitions: PartitionSource[];
}

const EXTENSIONS: Record<string, DataFormat> = {
  '.parquet': 'parquet',
  '.pq': 'parquet',
  '.csv': 'csv',
  '.tsv': 'csv',
  '.json': 'json',
  '.ndjson': 'json',
  '.jsonl': 'json',
};

const hasGlob = (s: string): boolean => /[*?]/.test(s);

/** `*` and `?` of one path segment as a regular expression. */
function globRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]');
  return new RegExp(`^${body}$`);
}

function formatOf(name: string, given: DataFormat | undefined): DataFormat | undefined {
  return given ?? EXTENSIONS[path.extname(name).toLowerCase()];
}

/** The files of a directory, glob or prefix, in name order; undefined when `uri` names one file. */
async function listFiles(uri: string, s3: Client | undefined, given: DataFormat | undefined): Promise<{ uri: string; name: string }[] | undefined> {
  if (uri.startsWith('s3://')) {
    const trimmed = uri.replace(/^s3:\/\//, '');
    const slash = trimmed.indexOf('/');
    const bucket = slash < 0 ? trimmed : trimmed.slice(0, slash);
    const rest = slash < 0 ? '' : trimmed.slice(slash + 1);
    const last = rest.slice(rest.lastIndexOf('/') + 1);
    if (!rest.endsWith('/') && rest !== '' && !hasGlob(last)) return undefined;
    if (!s3) throw new DataError(`${uri}: no S3 client configured`);
    const prefix = hasGlob(last) ? rest.slice(0, rest.length - last.length) : rest;
    const match = hasGlob(last) ? globRegExp(last) : undefined;
    const out: { uri: string; name: string }[] = [];
    const stream = s3.listObjectsV2(bucket, prefix, false);
    for await (const item of stream as AsyncIterable<{ name?: string }>) {
      if (!item.name || item.name.endsWith('/')) continue;
      const name = item.name.slice(prefix.length);
      if (match ? match.test(name) : formatOf(name, given) !== undefined) out.push({ uri: `s3://${bucket}/${item.name}`, name });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
  const file = uri.startsWith('file://') ? fileURLToPath(uri) : path.resolve(uri);
  const base = path.basename(file);
  let dir: string;
  let match: RegExp | undefined;
  if (hasGlob(base)) {
    dir = path.dirname(file);
    match = globRegExp(base);
  } else {
    const st = await stat(file).catch(() => undefined);
    if (!st?.isDirectory()) return undefined;
    dir = file;
  }
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => {
    throw new DataError(`${uri}: the directory ${dir} is not readable on this worker; use an s3:// prefix or run the worker where the files are`);
  });
  return entries
    .filter((e) => e.isFile() && (match ? match.test(e.name) : formatOf(e.name, given) !== undefined))
    .map((e) => ({ uri: path.join(dir, e.name), name: e.name }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * The partitions of `uri`, or undefined when it is one file of at most `partitionRows` rows (ingested as today).
 * A CSV row takes at least two bytes, so a file under 2 × partitionRows bytes is never counted.
 */
export async function planPartitions(
  opts: { uri: string; format?: DataFormat; delimiter?: string; partitionRows?: number },
  deps: { s3: Client; artifacts: ArtifactStore },
): Promise<PartitionPlan | undefined> {
  const limit = opts.partitionRows ?? DEFAULT_PARTITION_ROWS;
  const files = await listFiles(opts.uri, deps.s3, opts.format);
  if (files) {
    if (files.length === 0) throw new DataError(`${opts.uri}: no Parquet, CSV or JSON files match`);
    const formats = new Set(files.map((f) => formatOf(f.name, opts.format) ?? 'csv'));
    if (formats.size > 1) throw new DataError(`${opts.uri}: the partitions mix formats (${[...formats].join(', ')}); use one format or set data.format`);
    const format = [...formats][0]!;
    const partitions: PartitionSource[] = [];
    for (const f of files) partitions.push({ index: partitions.length, uri: await staged(f.uri, deps.artifacts), format });
    return { sourceUri: opts.uri, partitions };
  }
  const peeked = await peekObject(opts.uri, limit, deps.s3, opts.format);
  if (peeked === 'one') return undefined;
  if (peeked) return peeked.rows <= limit ? undefined : { sourceUri: opts.uri, partitions: rowRanges(opts.uri, 'parquet', peeked.rows, limit) };
  const source = await fetchSource(opts.uri, { s3: deps.s3, format: opts.format });
  try {
    if (source.format !== 'parquet' && source.bytes < 2 * limit) return undefined;
    const rows = await withDuckDB(async (conn) => {
      const res = await conn.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM ${await sourceRelation(source, opts)}`);
      return Number(res.getRowObjectsJS()[0]!.n);
    }).catch(() => undefined); // an unreadable file gets ingest's own, specific message
    if (rows === undefined || rows <= limit) return undefined;
    const uri = await staged(opts.uri, deps.artifacts, source.file);
    return { sourceUri: opts.uri, partitions: rowRanges(uri, source.format, rows, limit) };
  } finally {
    await source.cleanup();
  }
}

/** `rows` rows of one file as ⌈rows / limit⌉ row ranges of near-equal size. */
function rowRanges(uri: string, format: DataFormat, rows: number, limit: number): PartitionSource[] {
  const k = Math.ceil(rows / limit);
  return Array.from({ length: k }, (_, i) => {
    const start = Math.floor((i * rows) / k);
    return { index: i, uri, format, rows: { start, count: Math.floor(((i + 1) * rows) / k) - start } };
  });
}

/**
 * What a single s3:// object tells without a download: 'one' partition for a CSV or JSON object under
 * 2 × partitionRows bytes (its size), the row count of a Parquet object (its footer, parquet-footer.ts), else
 * undefined: the caller downloads it, and a missing or unreadable object gets the download's own message.
 */
async function peekObject(uri: string, limit: number, s3: Client, given: DataFormat | undefined): Promise<'one' | { rows: number } | undefined> {
  if (!uri.startsWith('s3://')) return undefined;
  const format = formatOf(uri.replace(/[?#].*$/, ''), given);
  if (format === undefined) return undefined;
  let object: { bucket: string; key: string };
  try {
    object = parseS3Uri(uri);
  } catch {
    return undefined;
  }
  const size = await s3.statObject(object.bucket, object.key).then(
    (st) => st.size,
    () => undefined,
  );
  if (size === undefined) return undefined;
  if (format !== 'parquet') return size < 2 * limit ? 'one' : undefined;
  const rows = await parquetObjectRows(s3, object.bucket, object.key, size).catch(() => undefined);
  return rows === undefined ? undefined : { rows };
}

/** An s3:// URI for a source: s3 inputs as they are, local files copied once into sources/<sha256><ext>. */
export async function staged(uri: string, artifacts: ArtifactStore, local?: string): Promise<string> {
  if (uri.startsWith('s3://')) {
    parseS3Uri(uri);
    return uri;
  }
  const file = local ?? (uri.startsWith('file://') ? fileURLToPath(uri) : path.resolve(uri));
  const ext = path
    .extname(file)
    .toLowerCase()
    .replace(/[^.a-z0-9]/g, '');
  const sha = await hashFile(file);
  return (await artifacts.putFile(`sources/${sha}${ext}`, file)).uri;
}
