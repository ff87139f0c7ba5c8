// The artifact store: immutable objects in one S3 bucket, each carrying its SHA-256 (object metadata),
// verified on every read. Content-addressed puts store the same bytes once. Callers never build S3 keys
// from raw input: every key passes `assertKey`.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Client } from 'minio';

export interface ArtifactRef {
  uri: string;
  sha256: string;
  size: number;
}

export interface ObjectInfo {
  key: string;
  size: number;
  lastModified: Date;
}

export class ArtifactError extends Error {
  override name = 'ArtifactError';
}

const SHA_META = 'sha256';

/** Refuses keys that could escape a prefix or confuse a reader: `..`, absolute paths, control characters. */
export function assertKey(key: string): string {
  const problem =
    typeof key !== 'string' || key.length === 0
      ? 'is empty'
      : Buffer.byteLength(key) > 1024
        ? 'is longer than 1024 bytes'
        : key.startsWith('/')
          ? 'is an absolute path'
          : /[\x00-\x1f\x7f-\x9f\u2028\u2029]/.test(key)
            ? 'contains a control character or line separator'
            : key.includes('\\')
              ? 'contains a backslash'
              : key.split('/').some((s) => s === '..' || s === '.')
                ? 'contains a . or .. segment'
                : key.split('/').some((s) => s === '')
                  ? 'contains an empty segment (//) or ends with /'
                  : undefined;
  if (problem) throw new ArtifactError(`artifact key ${JSON.stringify(key)} ${problem}`);
  return key;
}

export function s3Uri(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/.exec(uri);
  if (!m) throw new ArtifactError(`${JSON.stringify(uri)} is not an s3://bucket/key URI`);
  return { bucket: m[1]!, key: assertKey(m[2]!) };
}

function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

function isNotFound(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === 'NotFound' || code === 'NoSuchKey';
}

export class ArtifactStore {
  /** `prefix` namespaces every key (tests use their own); it is not part of the keys callers pass. */
  constructor(
    private readonly client: Client,
    readonly bucket: string,
    readonly prefix = '',
  ) {
    if (prefix !== '') assertKey(prefix.replace(/\/$/, ''));
  }

  private objectName(key: string): string {
    assertKey(key);
    return this.prefix === '' ? key : `${this.prefix.replace(/\/$/, '')}/${key}`;
  }

  uri(key: string): string {
    return s3Uri(this.bucket, this.objectName(key));
  }

  /** The store-relative key of one of this store's URIs. */
  keyOf(uri: string): string {
    const { bucket, key } = parseS3Uri(uri);
    const p = this.prefix === '' ? '' : `${this.prefix.replace(/\/$/, '')}/`;
    if (bucket !== this.bucket || !key.startsWith(p)) throw new ArtifactError(`${uri} is not in this store (s3://${this.bucket}/${p})`);
    return key.slice(p.length);
  }

  /** Stores bytes under `key`. Objects are immutable: the same bytes again is a no-op, other bytes an error. */
  async putBuffer(key: string, data: Buffer, contentType = 'application/octet-stream'): Promise<ArtifactRef> {
    const hash = sha256(data);
    const name = this.objectName(key);
    const existing = await this.storedSha(name);
    if (existing === hash) return { uri: s3Uri(this.bucket, name), sha256: hash, size: data.length };
    if (existing !== undefined) {
      throw new ArtifactError(`artifact ${name} already exists with sha256 ${existing}; artifacts are immutable`);
    }
    await this.client.putObject(this.bucket, name, data, data.length, { 'Content-Type': contentType, [SHA_META]: hash });
    return { uri: s3Uri(this.bucket, name), sha256: hash, size: data.length };
  }

  /** Stores a file under `key`, streaming it (hashed in a first pass, so nothing is held in memory). */
  async putFile(key: string, file: string, contentType = 'application/octet-stream'): Promise<ArtifactRef> {
    const hash = await hashFile(file);
    const { size } = await stat(file);
    const name = this.objectName(key);
    const existing = await this.storedSha(name);
    if (existing === hash) return { uri: s3Uri(this.bucket, name), sha256: hash, size };
    if (existing !== undefined) {
      throw new ArtifactError(`artifact ${name} already exists with sha256 ${existing}; artifacts are immutable`);
    }
    await this.client.fPutObject(this.bucket, name, file, { 'Content-Type': contentType, [SHA_META]: hash });
    return { uri: s3Uri(this.bucket, name), sha256: hash, size };
  }

  /** Content-addressed put: stored as `<dir>/<sha256><ext>`, once however often the same bytes arrive. */
  async putContent(dir: string, ext: string, data: Buffer | string | Readable, contentType?: string): Promise<ArtifactRef> {
    if (!/^(\.[a-z0-9]+)*$/.test(ext)) throw new ArtifactError(`extension ${JSON.stringify(ext)} is not like .parquet`);
    if (Buffer.isBuffer(data)) return this.putBuffer(`${dir}/${sha256(data)}${ext}`, data, contentType);
    if (typeof data === 'string') return this.putContent(dir, ext, Buffer.from(data), contentType);
    // A stream is spooled to a temporary file while hashed: its key is only known at the end.
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'mlops-put-'));
    try {
      const file = path.join(tmp, 'data');
      const hash = createHash('sha256');
      data.on('data', (chunk: Buffer) => hash.update(chunk));
      await pipeline(data, createWriteStream(file));
      return await this.putFile(`${dir}/${hash.digest('hex')}${ext}`, file, contentType);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  /** Reads an artifact whole, verifying its hash (the expected one, else the one stored with it). */
  async getBuffer(key: string, expectedSha256?: string): Promise<Buffer> {
    const name = this.objectName(key);
    const expected = expectedSha256 ?? (await this.requireSha(name));
    const chunks: Buffer[] = [];
    for await (const chunk of await this.client.getObject(this.bucket, name)) chunks.push(chunk as Buffer);
    const data = Buffer.concat(chunks);
    const actual = sha256(data);
    if (actual !== expected) {
      throw new ArtifactError(`artifact ${name}: sha256 mismatch (expected ${expected}, got ${actual}); the object is corrupt or was replaced`);
    }
    return data;
  }

  /** Streams an artifact to a file, verifying its hash; on a mismatch the file is not left behind. */
  async getFile(key: string, file: string, expectedSha256?: string): Promise<void> {
    const name = this.objectName(key);
    const expected = expectedSha256 ?? (await this.requireSha(name));
    const partial = `${file}.${randomBytes(4).toString('hex')}.partial`;
    const hash = createHash('sha256');
    const body = await this.client.getObject(this.bucket, name);
    body.on('data', (chunk: Buffer) => hash.update(chunk));
    try {
      await pipeline(body, createWriteStream(partial));
      const actual = hash.digest('hex');
      if (actual !== expected) {
        throw new ArtifactError(`artifact ${name}: sha256 mismatch (expected ${expected}, got ${actual}); the object is corrupt or was replaced`);
      }
      await rename(partial, file);
    } finally {
      await rm(partial, { force: true });
    }
  }

  async exists(key: string): Promise<boolean> {
    return (await this.storedSha(this.objectName(key))) !== undefined;
  }

  /** Objects under a store-relative prefix ('' for all), keys relative to the store. */
  async list(prefix = ''): Promise<ObjectInfo[]> {
    if (prefix !== '') assertKey(prefix.replace(/\/$/, ''));
    const base = this.prefix === '' ? '' : `${this.prefix.replace(/\/$/, '')}/`;
    const out: ObjectInfo[] = [];
    const stream = this.client.listObjectsV2(this.bucket, base + prefix, true);
    for await (const item of stream as AsyncIterable<{ name?: string; size: number; lastModified: Date }>) {
      if (item.name) out.push({ key: item.name.slice(base.length), size: item.size, lastModified: item.lastModified });
    }
    return out;
  }

  async remove(key: string): Promise<void> {
    await this.client.removeObject(this.bucket, this.objectName(key));
  }

  private async storedSha(name: string): Promise<string | undefined> {
    try {
      const st = await this.client.statObject(this.bucket, name);
      const meta = st.metaData as Record<string, string>;
      return meta[SHA_META] ?? meta[`x-amz-meta-${SHA_META}`] ?? '';
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private async requireSha(name: string): Promise<string> {
    const sha = await this.storedSha(name);
    if (sha === undefined) throw new ArtifactError(`artifact ${name} not found in bucket ${this.bucket}`);
    if (!/^[0-9a-f]{64}$/.test(sha)) throw new ArtifactError(`artifact ${name} has no sha256 metadata: it was not written by this store`);
    return sha;
  }
}

export async function hashFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
