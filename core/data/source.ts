// Where a dataset comes from and what its bytes are: resolves a path, file:// or s3:// URI to a local
// file and detects the format; `scanSource` makes one streaming pass that hashes the bytes, checks they
// are UTF-8, and checks every CSV record has as many fields as the header.
import { InvalidInput } from '../errors';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { isUtf8 } from 'node:buffer';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from 'minio';
import { sourceCache } from './source-cache';

export type DataFormat = 'csv' | 'json' | 'parquet';

export class DataError extends InvalidInput {
  override name = 'DataError';
  constructor(message: string) {
    super(message, 'data');
  }
}

export interface LocalSource {
  /** Local path of the bytes (a temporary copy for s3:// inputs). */
  file: string;
  format: DataFormat;
  bytes: number;
  /** Done with the bytes: an s3:// copy may be removed (core/data/source-cache.ts). */
  cleanup: () => Promise<void>;
  /** Scans of a cached copy, shared by every reader of the same object version. */
  scans?: Map<string, Promise<string>>;
}

const S3_URI = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/([^\x00-\x1f]+)$/;

/** Resolves a data URI to a local file. `s3` is needed only for s3:// URIs. */
export async function fetchSource(uri: string, opts: { s3?: Client; format?: DataFormat } = {}): Promise<LocalSource> {
  if (typeof uri !== 'string' || uri.trim() === '') throw new DataError('data.uri is empty');
  let file: string;
  let cleanup = async (): Promise<void> => undefined;
  let scans: LocalSource['scans'];
  if (uri.startsWith('s3://')) {
    const m = S3_URI.exec(uri);
    if (!m || m[2]!.split('/').includes('..')) throw new DataError(`${uri} is not a valid s3://bucket/key URI`);
    if (!opts.s3) throw new DataError(`${uri}: no S3 client configured`);
    try {
      const copy = await sourceCache().acquire(opts.s3, m[1]!, m[2]!);
      file = copy.file;
      scans = copy.scans;
      cleanup = async () => copy.release();
    } catch (err) {
      const code = (err as { code?: string }).code;
      throw new DataError(code === 'NoSuchKey' || code === 'NotFound' ? `${uri} does not exist` : `${uri}: ${(err as Error).message}`);
    }
  } else if (uri.startsWith('file://')) {
    file = fileURLToPath(uri);
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) {
    throw new DataError(`${uri}: only local paths, file:// and s3:// URIs are supported`);
  } else {
    file = path.resolve(uri);
  }
  try {
    const st = await stat(file).catch(() => undefined);
    // Workers share only the services: a path is read where the ingest activity runs, once, into the bucket.
    if (!st)
      throw new DataError(
        `${uri}: no such file on ${process.pid}@${os.hostname()} (the worker reads a path where it runs); use an s3:// URI or run the worker where the file is`,
      );
    if (!st.isFile()) throw new DataError(`${uri}: not a regular file`);
    if (st.size === 0) throw new DataError(`${uri}: the file is empty`);
    const format = opts.format ?? (await detectFormat(file, uri));
    return { file, format, bytes: st.size, cleanup, ...(scans ? { scans } : {}) };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

async function detectFormat(file: string, uri: string): Promise<DataFormat> {
  const ext = path.extname(uri.replace(/[?#].*$/, '')).toLowerCase();
  if (ext === '.parquet' || ext === '.pq') return 'parquet';
  if (ext === '.csv' || ext === '.tsv' || ext === '.txt') return 'csv';
  if (ext === '.json' || ext === '.ndjson' || ext === '.jsonl') return 'json';
  const head = Buffer.alloc(4);
  const fh = await open(file, 'r');
  try {
    await fh.read(head, 0, 4, 0);
  } finally {
    await fh.close();
  }
  if (head.toString('latin1') === 'PAR1') return 'parquet';
  const first = head
    .toString('latin1')
    .replace(/^\uFEFF|^\xEF\xBB\xBF/, '')
    .trimStart()[0];
  if (first === '{' || first === '[') return 'json';
  return 'csv';
}

async function hashOnly(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

export interface CsvDialect {
  delimiter: string;
  quote: string;
}

/**
 * One pass over a text file: SHA-256 of the bytes, UTF-8 validity, no NUL bytes; for CSV, the field
 * count of every record (quote-aware, so quoted newlines are fine) against the header's.
 */
async function scanText(file: string, uri: string, format: DataFormat, dialect?: CsvDialect): Promise<string> {
  const hash = createHash('sha256');
  const delim = (dialect?.delimiter ?? ',').charCodeAt(0);
  const quote = (dialect?.quote ?? '"').charCodeAt(0);
  let carry = Buffer.alloc(0); // an incomplete UTF-8 sequence at a chunk boundary
  let offset = 0;
  let line = 1;
  let record = 0; // records seen (header = record 1)
  let fields = 1;
  let headerFields = 0;
  let inQuotes = false;
  let recordHasBytes = false;
  let recordStartLine = 1;
  const endRecord = (): void => {
    if (!recordHasBytes) return; // blank lines are skipped, as CSV readers do
    record++;
    if (record === 1) headerFields = fields;
    else if (fields !== headerFields) {
      throw new DataError(
        `${uri}: line ${recordStartLine} has ${fields} field${fields === 1 ? '' : 's'} but the header has ${headerFields} ` +
          `(delimiter ${JSON.stringify(String.fromCharCode(delim))}); fix the row or quote fields that contain the delimiter`,
      );
    }
    fields = 1;
    recordHasBytes = false;
  };
  for await (const raw of createReadStream(file, { highWaterMark: 1 << 20 })) {
    const chunk = raw as Buffer;
    hash.update(chunk);
    const text = carry.length ? Buffer.concat([carry, chunk]) : chunk;
    // Hold back up to 3 trailing bytes of an unfinished multi-byte character.
    let end = text.length;
    for (let back = 1; back <= 3 && back <= text.length; back++) {
      const b = text[text.length - back]!;
      if ((b & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead byte
      const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
      if (need > back) end = text.length - back;
      break;
    }
    const body = text.subarray(0, end);
    carry = Buffer.from(text.subarray(end));
    if (!isUtf8(body)) {
      const at = firstInvalidUtf8(body);
      throw new DataError(
        `${uri}: not UTF-8 text (invalid byte 0x${body[at]?.toString(16).padStart(2, '0')} at byte ${offset + at}); re-encode the file as UTF-8`,
      );
    }
    const nul = body.indexOf(0);
    if (nul >= 0) throw new DataError(`${uri}: contains a NUL byte at byte ${offset + nul}; this is binary data, not ${format.toUpperCase()}`);
    if (format === 'csv') {
      for (let i = 0; i < body.length; i++) {
        const c = body[i]!;
        if (c === LF) line++;
        if (inQuotes) {
          if (c === quote) inQuotes = false; // a doubled quote re-enters on the next byte
          continue;
        }
        if (c === quote) {
          inQuotes = true;
          if (!recordHasBytes) recordStartLine = line;
          recordHasBytes = true;
        } else if (c === delim) {
          if (!recordHasBytes) recordStartLine = line;
          fields++;
          recordHasBytes = true;
        } else if (c === LF) {
          endRecord();
        } else if (c !== CR) {
          if (!recordHasBytes) recordStartLine = line;
          recordHasBytes = true;
        }
      }
    }
    offset += body.length;
  }
  if (carry.length > 0) throw new DataError(`${uri}: not UTF-8 text (the file ends inside a multi-byte character)`);
  if (format === 'csv') {
    if (inQuotes) throw new DataError(`${uri}: a quoted field opened on line ${recordStartLine} is never closed`);
    endRecord();
    if (record === 0) throw new DataError(`${uri}: the file holds no CSV header`);
    if (record === 1) throw new DataError(`${uri}: the file has a header but no data rows`);
  }
  return hash.digest('hex');
}

const DELIMITER_CANDIDATES = [',', ';', '\t', '|'];

/**
 * The delimiter of a CSV file: the candidate (, ; tab |) that occurs most often, outside quotes, in the
 * header line. Deciding from the header alone means a ragged row is reported, not explained away.
 */
export async function detectDelimiter(file: string): Promise<string> {
  const fh = await open(file, 'r');
  const head = Buffer.alloc(1 << 20);
  let n: number;
  try {
    ({ bytesRead: n } = await fh.read(head, 0, head.length, 0));
  } finally {
    await fh.close();
  }
  const counts = new Map<number, number>(DELIMITER_CANDIDATES.map((d) => [d.charCodeAt(0), 0]));
  let inQuotes = false;
  for (let i = 0; i < n; i++) {
    const c = head[i]!;
    if (c === QUOTE) inQuotes = !inQuotes;
    else if (!inQuotes && c === LF) break;
    else if (!inQuotes && counts.has(c)) counts.set(c, counts.get(c)! + 1);
  }
  let best = ',';
  let bestCount = 0;
  for (const [c, k] of counts) if (k > bestCount) [best, bestCount] = [String.fromCharCode(c), k];
  return best;
}

function firstInvalidUtf8(buf: Buffer): number {
  let i = 0;
  while (i < buf.length) {
    const b = buf[i]!;
    const need = b < 0x80 ? 0 : b >= 0xc2 && b < 0xe0 ? 1 : b >= 0xe0 && b < 0xf0 ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (need < 0) return i;
    for (let k = 1; k <= need; k++) if (i + k >= buf.length || (buf[i + k]! & 0xc0) !== 0x80) return i;
    i += need + 1;
  }
  return 0;
}

/**
 * The SHA-256 of the source bytes, after checking them: Parquet is only hashed (DuckDB checks its
 * structure); text must be UTF-8 without NUL bytes, and CSV records must match the header's field count.
 */
export function scanSource(source: LocalSource, uri: string, dialect?: CsvDialect): Promise<string> {
  const scan = (): Promise<string> => (source.format === 'parquet' ? hashOnly(source.file) : scanText(source.file, uri, source.format, dialect));
  const { scans } = source;
  if (!scans) return scan();
  // The partitions of one split object scan the same bytes the same way: once.
  const key = `${source.format} ${JSON.stringify(dialect ?? null)} ${uri}`;
  let done = scans.get(key);
  if (!done) {
    done = scan();
    scans.set(key, done);
    done.catch(() => scans.delete(key));
  }
  return done;
}
